"""The measures model on the command line: `train --kind measures`, `evaluate` of several
models side by side, and `analyze --measures-model`.

training.py's train parser takes add_train_measures_options(parser), and its run_train hands
`--kind measures` to run_train_measures; its evaluate parser takes add_side_by_side_options and
hands several models (or a measures model) to run_compare; the analyze parser takes
add_measures_model_option(parser), and run_analyze calls prepare_measures_model before the
analysis and add_measures_predictions after it.
"""

from __future__ import annotations

import json
from pathlib import Path

from expressiveness.config import DEFAULT_FACE_SELECTION, DEFAULT_MIN_CONFIDENCE, DEFAULT_MODEL, REPORTS_DIR, SEED
from expressiveness.errors import ExpressivenessError
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
    from expressiveness.measures_train import MeasuresConfig, train_measures_model
    from expressiveness.validation import DEMO_NOTE

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
    from expressiveness.compare import compare_models

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


def prepare_measures_model(model_path: str | Path, measures: bool, cnn_model: str | Path | None):
    """The measures model, loaded and checked against the analysis before any video is read:
    the facial measures must be on, and a model on CNN features needs that CNN."""
    from expressiveness.card import read_card
    from expressiveness.measures.model import load_measures_model

    model = load_measures_model(model_path)
    if not measures:
        raise ExpressivenessError(f"--measures-model {model_path} needs the facial measures; drop --no-measures.")
    cnn = model.card.get("cnn_model")
    if cnn and (cnn_model is None or read_card(cnn_model).get("name", Path(cnn_model).stem) != cnn["name"]):
        raise ExpressivenessError(f"--measures-model {model_path} uses the mean probabilities of CNN {cnn['name']!r}; "
                                  f"analyse with --model {cnn['path']}.")
    return model


def measures_prediction(summary: dict, model_path) -> dict:
    """The measures model's video-level answer for one video summary: measures_model,
    measures_model_sha256, measures_model_trained_on (card.trained_on), predicted_score,
    predicted_level, predicted_prob_* (None when the video has no face landmarks). model_path: a
    measures model's card, or a loaded model."""
    from expressiveness.card import trained_on
    from expressiveness.measures.model import MeasuresModel, load_measures_model, predict_summary

    model = model_path if isinstance(model_path, MeasuresModel) else load_measures_model(model_path)
    answer = predict_summary(model, summary, f"{summary.get('video', 'the video')}'s summary")
    return {**answer, "measures_model_trained_on": trained_on(model.card)}


PREDICTION_KEYS = ("measures_model", "measures_model_sha256", "measures_model_trained_on", "predicted_score",
                   "predicted_level", "predicted_prob_reserved", "predicted_prob_balanced", "predicted_prob_expressive",
                   "measures_model_note")


def add_measures_predictions(report, model) -> int:
    """Make every summary summary.csv lists (report.listed: this run's and the earlier ones
    kept in the folder) carry this run's measures-model answer, so that no row keeps a stale
    answer of another model or of an older file of this one: in memory, in OUT/NAME_summary.json
    and as columns of OUT/summary.csv (its other columns kept as written). With model None,
    remove the earlier answers instead (a summary must not keep a measures model's answer the
    user did not ask for this time). An earlier summary the model cannot answer (analysed
    without the facial measures, or with another CNN) gets null answers and
    `measures_model_note` saying why. Returns the number of summaries changed."""
    import pandas as pd

    from expressiveness._io import atomic_write
    from expressiveness.errors import DatasetError

    answers = {}
    earlier = {id(summary) for summary in getattr(report, "earlier", [])}
    for summary in getattr(report, "listed", report.summaries):
        if model is None and not any(key in summary for key in PREDICTION_KEYS):
            continue
        for key in PREDICTION_KEYS:
            summary.pop(key, None)
        answer = {}
        if model is not None:
            try:
                answer = measures_prediction(summary, model)
            except DatasetError as error:
                if id(summary) not in earlier:
                    raise
                answer = {"measures_model": model.name, "measures_model_sha256": model.card["sha256"]["model"],
                          **dict.fromkeys(PREDICTION_KEYS[2:-1]), "measures_model_note": str(error)}
        answers[summary["name"]] = answer
        summary.update(answer)
        atomic_write(report.out_dir / f"{summary['name']}_summary.json", json.dumps(summary, indent=2))
    table_path = report.out_dir / "summary.csv"
    if answers and table_path.is_file():
        table = pd.read_csv(table_path, dtype=str, keep_default_na=False)  # text in, the same text out
        table = table.drop(columns=[key for key in PREDICTION_KEYS if key in table.columns])
        if model is not None:
            for key in PREDICTION_KEYS[:-1] + (("measures_model_note",) if any(
                    "measures_model_note" in answer for answer in answers.values()) else ()):
                table[key] = [answers.get(name, {}).get(key) for name in table["name"]]
        atomic_write(table_path, table.to_csv(index=False))
    return len(answers)


def predictions_text(report, model, shown: int = 10) -> str:
    """What the measures model said, one line per video (the first `shown`), for the console."""
    summaries = report.summaries
    from expressiveness.card import trained_on

    lines = [f"Measures model {model.name} (trained on {trained_on(model.card)}), per video: the facial_expression "
             f"score from its regressor, the level from its classifier (two models, so they can disagree near a cut "
             f"point):"]
    for summary in summaries[:shown]:
        score = summary["predicted_score"]
        answer = "no face landmarks" if score is None else f"score {score:+.3f}, level {summary['predicted_level']}"
        lines.append(f"  {summary['name']}: {answer}")
    if len(summaries) > shown:
        lines.append(f"  ... and {len(summaries) - shown} more in summary.csv")
    return "\n".join(lines)
