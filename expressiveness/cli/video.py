"""Video subcommands: analyze, live, check."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from expressiveness.config import DATA_DIR, DEFAULT_MODEL, REPORTS_DIR, TARGET_SCORE
from expressiveness.errors import ExpressivenessError
from . import _options as options
from . import measures_model as models


def register(commands, common) -> None:
    parser = commands.add_parser(
        "analyze", parents=[common], help="analyse interview videos: per-frame table, summary, timeline figure",
        description="Analyse video files and folders (searched recursively). Per video: NAME_frames.csv (one row "
                    "per frame, with or without a face), NAME_summary.json, NAME_timeline.png and optionally "
                    "NAME_annotated.mp4; plus summary.csv and run_report.json. A rerun reuses a result only when "
                    "its source file, model and options are the same; otherwise it analyses the video again.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="video files or folders")
    parser.add_argument("--out", default=str(REPORTS_DIR / "analysis"),
                        help=f"output folder (default: {REPORTS_DIR / 'analysis'})")
    parser.add_argument("--every", type=options.positive_int, default=1,
                        help="analyse every K-th frame (default: 1, all)")
    parser.add_argument("--smoothing", type=options.weight, default=None,
                        help="EMA weight of the newest frame in (0, 1] (default: none, raw per-frame values)")
    parser.add_argument("--annotate", action="store_true", help="also write NAME_annotated.mp4")
    parser.add_argument("--no-figures", action="store_true", help="no timeline PNG")
    options.add_parallel(parser, 1, "worker processes, one video each (default: 1)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--html", action="store_true",
                        help="also write NAME_report.html per video and index.html (self-contained pages)")
    parser.add_argument("--metadata", default=None,
                        help="a metadata.jsonl whose records the HTML reports join to the videos (id, participant, "
                             "question, the human facial_expression score); implies --html")
    options.add_analysis(parser)
    options.add_baseline(parser)
    options.add_audio(parser)
    options.add_subject(parser)
    parser.add_argument("--all-faces", action="store_true",
                        help="also measure every other person in view, each in a pass of its own: "
                             "NAME_persons_frames.csv (one row per person per frame) and NAME_persons.json (their summaries)")
    models.add_measures_model_option(parser)
    parser.set_defaults(run=run_analyze)

    parser = commands.add_parser(
        "live", parents=[common], help="live demo: webcam or video file with boxes, levels and FPS",
        description="Classify faces live from a camera (default: camera 0) or a video file. Each face gets a box "
                    "and its level with probability, colour-coded; 'q' or Esc quits. A file shown in a window "
                    "plays at its own frame rate (--fast: as fast as possible); without a window it is always "
                    "processed as fast as possible.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--camera", type=options.whole_number(0), default=0, help="camera index (default: 0)")
    source.add_argument("--source", help="a video file instead of the camera")
    parser.add_argument("--no-display", action="store_true", help="no window (for servers); use with --output/--csv")
    parser.add_argument("--fast", action="store_true", help="process a video file as fast as possible in the window")
    parser.add_argument("--output", help="write the annotated video here (MP4)")
    parser.add_argument("--csv", help="write the per-frame table here")
    parser.add_argument("--smoothing", type=options.weight, default=0.4,
                        help="EMA weight of the newest frame in (0, 1]; 1 turns smoothing off (default: 0.4)")
    parser.add_argument("--max-frames", type=options.positive_int, default=None, help="stop after this many frames")
    parser.add_argument("--show-blendshapes", type=options.whole_number(0), nargs="?", const=5, default=0,
                        metavar="N", help="show the interviewee's N strongest blendshapes beside the box (default N: 5)")
    options.add_analysis(parser)
    parser.set_defaults(run=run_live)

    parser = commands.add_parser(
        "validate", parents=[common], help="check the facial measures (and a model) against the human ratings",
        description="Analyse every clip of a RecruitView-format data set (parallel, resumable) and report the "
                    "Spearman correlation of each video-level facial measure (and, with a model, the CNN's expected "
                    "level) with a rating (--target, default facial_expression): per clip with a 95% interval that "
                    "resamples participants, per clip with the other ratings held constant (partial Spearman, "
                    "--control), per participant, and within participants (each clip's measure and "
                    "rating minus its participant's means). Also the three single blendshapes that correlate best, "
                    "flagged as chosen after looking (exploratory). Writes validation.json, validation.md, "
                    "validation.csv, clips.csv, validation.png and validation_within.png.")
    options.add_metadata(parser)
    parser.add_argument("--target", type=_rating_target, default=TARGET_SCORE, metavar="NAME",
                        help=f"the rating column to check against, or all for every score of the metadata "
                             f"(default: {TARGET_SCORE})")
    parser.add_argument("--control", type=_rating_control, default="all", metavar="NAMES",
                        help="the ratings the partial Spearman holds constant: all (every other rating of the "
                             "metadata), comma-separated names such as interview_score, or none (default: all)")
    parser.add_argument("--out", default=str(REPORTS_DIR / "validation"),
                        help=f"output folder (default: {REPORTS_DIR / 'validation'})")
    parser.add_argument("--every", type=options.positive_int, default=1,
                        help="analyse every K-th frame (default: 1; blinks need >= 10 frames/s)")
    options.add_parallel(parser, 1, "worker processes, one video each (default: 1)")
    parser.add_argument("--bootstrap", type=options.whole_number(100), default=1000,
                        help="bootstrap resamples of participants (default: 1000)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    options.add_analysis(parser)
    parser.set_defaults(run=run_validate, smoothing=None)

    parser = commands.add_parser(
        "check", parents=[common], help="check the installation: packages, MediaPipe, faces in a clip, camera, model, speed",
        description="Check the environment, the MediaPipe face models, face detection on real footage and "
                    "face finding over a whole clip (--video: yours), the camera, the model and its card, and "
                    "end-to-end speed. Exit code 0 unless a check FAILs.")
    parser.add_argument("--no-camera", action="store_true", help="do not try to open a camera")
    parser.add_argument("--camera", type=options.whole_number(0), default=0, help="camera index to try (default: 0)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help=f"model to check (default: {DEFAULT_MODEL})")
    parser.add_argument("--data", default=str(DATA_DIR), help=f"data folder with test footage (default: {DATA_DIR})")
    parser.add_argument("--video", metavar="PATH",
                        help="check face finding on this clip: how many of ~150 frames spread over it have a usable "
                             "face (default: the demo data's first clip, when it is there)")
    parser.set_defaults(run=run_check)


def run_analyze(args) -> int:
    from expressiveness.pipeline.run import AnalysisRun, Outputs, level_model

    analysis = options.analysis_options(args, args.smoothing)
    model, notes = level_model(args.model, args.measures)
    run = AnalysisRun(args.out, model, analysis, args.measures_model,
                      Outputs(not args.no_figures, args.annotate, args.html, args.metadata, args.all_faces))
    for note in notes + run.notes:
        print(note, file=sys.stderr)
    report = run.analyze(args.paths, args.workers, progress=not args.no_progress, dask=args.dask)
    for warning in report.warnings():
        print(warning, file=sys.stderr)
    print(report.console())
    return 0 if report.summaries else 1


def _check_output_file(path: str | None, option: str) -> None:
    """An output file's folder exists and is writable, and the path is not a folder: checked
    before a session starts, so that nothing recorded is lost at the end."""
    if not path:
        return
    target = Path(path)
    folder = target.resolve().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"{option} {path}: the folder {folder} does not exist.")
    if target.is_dir():
        raise IsADirectoryError(f"{option} {path}: is a folder; expected a file name such as "
                                f"{'session.mp4' if option == '--output' else 'session.csv'}.")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{option} {path}: the folder {folder} is not writable.")


def run_live(args) -> int:
    import itertools
    from dataclasses import replace

    from expressiveness.report import plots_overlay
    from expressiveness.errors import CameraError
    from expressiveness.video import iter_camera, iter_frames, probe_video

    # Model, outputs, source and camera are checked before the engines load, so a mistake fails in a second.
    model = options.analysis_model(args)
    _check_output_file(args.output, "--output")
    _check_output_file(args.csv, "--csv")
    if args.source:
        info = probe_video(args.source)
        frames, frame_rate = iter_frames(args.source, info=info), info.fps
    else:
        frames, frame_rate = iter_camera(args.camera), 30.0
    first = next(frames, None)
    if first is None:
        raise CameraError(f"{args.source or f'camera {args.camera}'} gave no frame; nothing was analysed.")
    frames = itertools.chain([first], frames)

    from expressiveness.pipeline.frame_engine import build_analyzer
    from expressiveness.pipeline.live import learn_file_reference, reference_kind
    from expressiveness.pipeline.live import run_live as run_loop

    display = not args.no_display
    if display and sys.platform.startswith("linux") and not os.environ.get("DISPLAY") \
            and not os.environ.get("WAYLAND_DISPLAY"):
        print("No display found (DISPLAY is not set): running without a window.", file=sys.stderr)
        display = False
    smoothing = None if args.smoothing >= 1 else args.smoothing
    # The camera is causal by nature: the landmarker tracks the face with MediaPipe's temporal filter,
    # and the reference face is learnt while playing. A file is measured as `analyze` measures it:
    # every frame on its own (image mode; video mode's filter shifts the landmarks with the frames
    # before, e.g. the yaw by up to 1.5 degrees) against the whole file's reference face.
    tracking = "image" if args.source else "video"
    analyzer = build_analyzer(model, replace(options.analysis_options(args, smoothing), face_tracking=tracking))
    labels = next((scorer.labels for scorer in analyzer.scorers if hasattr(scorer, "labels")), None)
    try:
        if args.source:
            learn_file_reference(analyzer, args.source, info)
        session = run_loop(frames, analyzer,
                           lambda result, fps: plots_overlay.draw_result(result, labels or (), fps, args.show_blendshapes),
                           show=plots_overlay.show_frame if display else None, output=args.output, csv_path=args.csv,
                           frame_rate=frame_rate, pace=display and bool(args.source) and not args.fast,
                           max_frames=args.max_frames)
    finally:
        analyzer.close()
        if display:
            plots_overlay.close_windows()
    table = session.table
    face_share = f"{table['success'].mean():.0%}" if len(table) else "0%"
    print(f"{len(table)} frames, a face in {face_share} of them, {len(table) / max(session.seconds, 1e-6):.1f} "
          f"frames/s overall." + (f" Saved: {', '.join(map(str, session.saved))}." if session.saved else "")
          + (" Interrupted; what was recorded is kept." if session.interrupted else ""))
    reference = reference_kind(analyzer)
    if reference == "whole_video":
        print("Facial measures against the typical face of the whole file, as `expressiveness analyze` measures it "
              "(reference: whole_video).")
    elif reference == "running":
        print("Facial measures against a typical face learnt while playing (reference: running): the first seconds "
              "read low" + ("; the file has too few usable faces for a whole-file reference." if args.source else
                            "; analyse a recording with `expressiveness analyze` for figures to report."))
    if session.error:
        print(f"{args.prog}: error: {session.error}", file=sys.stderr)
        return 1
    return 0


def _rating_target(text: str) -> str:
    """--target: a score column of the metadata (config.SCORE_FIELDS), or all."""
    from argparse import ArgumentTypeError

    from expressiveness.agreement.validate import rating_targets

    try:
        rating_targets(text)
    except ValueError as error:
        raise ArgumentTypeError(str(error).rstrip(".")) from None
    return text


def _rating_control(text: str) -> str:
    """--control: all, none or comma-separated score columns (config.SCORE_FIELDS)."""
    from argparse import ArgumentTypeError

    from expressiveness.agreement.partial import rating_controls

    try:
        rating_controls(text, "")
    except ValueError as error:
        raise ArgumentTypeError(str(error).rstrip(".")) from None
    return text


def run_validate(args) -> int:
    from expressiveness.report import plots_validation
    from expressiveness.agreement.validate import validate_dataset

    if not args.measures and args.model is None:
        raise ExpressivenessError("validate --no-measures needs --model: there would be nothing to check.")
    model = options.analysis_model(args) if args.model else None  # the CNN only when asked for
    validation = validate_dataset(args.metadata, args.out, model, options.analysis_options(args, None),
                                  args.workers, progress=not args.no_progress, figure=plots_validation.save_validation,
                                  samples=args.bootstrap, dask=args.dask, target=args.target,
                                  within_figure=plots_validation.save_within_person, control=args.control)
    for failure in validation.failures:
        print(f"skipped ({failure['status']}): {failure['error']}", file=sys.stderr)
    print(validation.text())
    print(f"Table: {Path(args.out) / 'validation.md'}")
    return 0 if len(validation.clips) else 1


def run_check(args) -> int:
    from expressiveness.cli.check import format_table, run_checks

    checks = run_checks(args.model, None if args.no_camera else args.camera, Path(args.data), args.video)
    print(format_table(checks))
    return 1 if any(check.status == "FAIL" for check in checks) else 0
