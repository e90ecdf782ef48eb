"""The measures model on the command line: `train --kind measures`, `evaluate` of several
models side by side, and `analyze --measures-model`.

training.py's train parser takes add_train_measures_options(parser), and its run_train hands
`--kind measures` to run_train_measures; its evaluate parser takes add_side_by_side_options and
hands several models (or a measures model) to run_compare; the analyze parser takes
add_measures_model_option(parser), whose model pipeline/run.py's AnalysisRun loads and asks.
"""

from __future__ import annotations

from pathlib import Path

from expressiveness.config import DEFAULT_FACE_SELECTION, DEFAULT_MIN_CONFIDENCE, DEFAULT_MODEL, REPORTS_DIR, SEED
from . import _options as options

KINDS = ("cnn", "measures")


def add_train_measures_options(parser) -> None:
    """--kind, and the options of `train --kind measures` (the shared ones, --metadata, --models,
    --name, --thresholds, --seed, --overwrite and --quiet, are the train parser's)."""
    from expressiveness.config import ANALYSIS_DIR, CV_FOLDS, ESTIMATORS, FACE_SELECTIONS

    parser.add_argument("--kind", choices=KINDS, default="cnn",
                        help="cnn: the CNN on face crops (default); measures: a video-level model on the facial "
                             "measures of each clip (scikit-learn)")
    group = parser.add_argument_group(
        "measures model (--kind measures)",
        "Per clip, the video-level facial measures (and, with --cnn-model, the CNN's mean level probabilities) "
        "predict the facial_expression score and its level; hyperparameters by cross-validation grouped by "
        "participant inside the training split. Writes MODELS/NAME.json (card) and NAME.linear.json or NAME.skops.")
    group.add_argument("--estimator", choices=ESTIMATORS, default="linear",
                       help="linear: ridge and logistic regression, saved as JSON (default); boosting: gradient "
                            "boosting, saved with skops")
    group.add_argument("--split-from", metavar="CARD",
                       help="reuse the participant split of this model card (e.g. models/expressiveness_cnn.json), "
                            "and its cut points unless --thresholds is given, so that both models are tested on the "
                            "same people (default: a new participant split of all clips)")
    group.add_argument("--analysis", default=str(ANALYSIS_DIR),
                       help=f"folder of the clip analyses, ANALYSIS/clips (resumable; `validate` writes the same; "
                            f"default: {ANALYSIS_DIR})")
    group.add_argument("--cnn-model", metavar="MODEL",
                       help="also use this CNN's mean level probabilities per clip as features (analyze then needs "
                            "the same CNN)")
    group.add_argument("--every", type=options.positive_int, default=1,
                       help="analyse every K-th frame (default: 1; blinks need >= 10 frames/s)")
    group.add_argument("--workers", type=options.positive_int, default=1,
                       help="worker processes, one clip each (default: 1)")
    group.add_argument("--cv-folds", type=options.whole_number(2), default=CV_FOLDS,
                       help=f"cross-validation folds, at most one per training participant (default: {CV_FOLDS})")
    group.add_argument("--no-progress", action="store_true", help="no progress bars")
    group.add_argument("--min-confidence", type=options.fraction, default=None,
                       help=f"face detection score threshold in [0, 1] (default: the --cnn-model card's, else "
                            f"{DEFAULT_MIN_CONFIDENCE})")
    group.add_argument("--face", choices=FACE_SELECTIONS, default=None,
                       help=f"which face is the interviewee (default: the --cnn-model card's, else {DEFAULT_FACE_SELECTION})")


def run_train_measures(args) -> int:
    from expressiveness.data.demo_data import is_demo_dataset
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.measures.model import DEFAULT_MEASURES_MODEL_NAME
    from expressiveness.agreement.train_measures import MeasuresConfig, train_measures_model
    from expressiveness.agreement.validate import DEMO_NOTE

    if args.cnn_model is not None and not Path(args.cnn_model).is_file():
        raise FileNotFoundError(f"--cnn-model {args.cnn_model}: model file not found; train one with `expressiveness "
                                f"train`.")
    # The train parser's --name defaults to the CNN's name; a measures model gets its own.
    name = args.name if args.name not in (None, DEFAULT_MODEL.stem) else DEFAULT_MEASURES_MODEL_NAME
    config = MeasuresConfig(name=name, estimator=args.estimator, thresholds=args.thresholds,
                            split_seed=getattr(args, "split_seed", args.seed), seed=args.seed, cv_folds=args.cv_folds)
    # Detector settings not given (None) are the CNN card's crop settings, else the extraction
    # defaults: train_measures_model fills them in (AnalysisOptions.with_card).
    analysis = AnalysisOptions(every=args.every, min_confidence=args.min_confidence,
                               face_selection=args.face)
    result = train_measures_model(args.metadata, args.models, config, args.analysis, args.cnn_model, args.split_from,
                                  analysis, args.workers, progress=not (args.no_progress or args.quiet),
                                  overwrite=args.overwrite)
    print(result.text())
    if is_demo_dataset(Path(args.metadata).parent):
        print(DEMO_NOTE)
    return 0


def add_side_by_side_options(parser) -> None:
    """The evaluate options that matter only when models are compared side by side."""
    from expressiveness.config import BOOTSTRAP_SAMPLES

    group = parser.add_argument_group("side by side (several models, or a measures model)")
    group.add_argument("--analysis", default=None,
                       help="folder of clip analyses for the measures models (default: the one in each card)")
    group.add_argument("--bootstrap", type=options.whole_number(100), default=BOOTSTRAP_SAMPLES,
                       help=f"bootstrap resamples of participants (default: {BOOTSTRAP_SAMPLES})")
    group.add_argument("--seed", type=int, default=SEED,
                       help=f"of the random baseline and the bootstrap (default: {SEED})")
    group.add_argument("--workers", type=options.positive_int, default=1,
                       help="worker processes for clips not analysed yet (default: 1)")
    group.add_argument("--no-progress", action="store_true", help="no progress bars")


def run_compare(args) -> int:
    from expressiveness.agreement.compare import compare_models

    out = args.out or str(REPORTS_DIR / "comparison")
    comparison = compare_models(args.model, args.metadata, out, args.cache, args.analysis, args.bootstrap,
                                args.seed, args.workers, progress=not args.no_progress)
    print(comparison.text())
    return 0


# ---------------------------------------------------------------- analyze --measures-model

def add_measures_model_option(parser) -> None:
    parser.add_argument("--measures-model", metavar="CARD", default=None,
                        help="a measures model (its .json card): adds its predicted facial_expression score and "
                             "level to each video's summary")
