"""Facial expressiveness in video interviews: Reserved, Balanced or Expressive, frame by frame.

Light stages are re-exported here, each loaded on first use; the heavier stages (model, train,
evaluate, predict, frames, batch) are imported from their modules.
"""

__version__ = "0.1.0"

# Each public name and the module it lives in; a name is imported on first use (PEP 562), so
# that `import expressiveness.cli` loads nothing heavy and Ctrl-C during start-up is handled.
_EXPORTS = {
    "expressiveness.config": ("LABELS", "THRESHOLDS", "FACE_SIZE"),
    "expressiveness.errors": ("ExpressivenessError", "MetadataError", "UnreadableVideoError"),
    "expressiveness.data.metadata": ("load_metadata", "scan_metadata"),
    "expressiveness.data.levels": ("expressiveness_level", "expressiveness_levels", "participant_split",
                                   "tertile_thresholds"),
    "expressiveness.video": ("VideoInfo", "iter_frames", "probe_video", "sample_indices"),
    "expressiveness.face": ("FaceBox", "FaceDetector", "crop_face", "select_face"),
    "expressiveness.data.cache": ("ExtractSettings", "read_crops"),
    "expressiveness.pipeline.extract": ("extract_dataset",),
    "expressiveness.data.demo_data": ("build_demo_dataset",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'expressiveness' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


__all__ = ["__version__", *_MODULE_OF]
