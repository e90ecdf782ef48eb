"""Facial measures from face landmarks, no training needed: mesh geometry, per-frame measures and
per-video summaries, and the video-level measures model. Import the modules themselves."""
