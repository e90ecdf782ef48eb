"""Data: metadata.jsonl -> validated records and participant splits, the demo data set, the
face-crop cache format, and data-set statistics. Import the modules themselves."""
