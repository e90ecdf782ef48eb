"""One pass over a video's frames (detection, then every scorer), the live loop, batches of
videos on local processes or Dask, and crop extraction. Import the modules themselves."""
