"""Training subcommands: extract, train, evaluate."""

from __future__ import annotations

import sys
from pathlib import Path

from expressiveness.config import CACHE_DIR, DEFAULT_MODEL, MODELS_DIR
from expressiveness.levels.train_config import TrainConfig
from . import _options as options
from . import measures_model as models


def register(commands, common) -> None:
    from expressiveness.config import DEFAULT_CROP_MARGIN, DEFAULT_MIN_CONFIDENCE, FACE_SELECTIONS, \
        FRAMES_PER_CLIP as DEFAULT_FRAMES_PER_CLIP

    parser = commands.add_parser(
        "extract", parents=[common], help="detect faces in every video of a metadata.jsonl and cache 48x48 crops",
        description="Turn every video listed in metadata.jsonl into 48x48 grayscale face crops (MediaPipe). "
                    "Resumable: a rerun reuses a video's crops only when they were made from the same file "
                    "(name, path, size, modification time). Bad videos are recorded in the manifest.")
    options.add_metadata(parser)
    options.add_cache(parser)
    sampling = parser.add_mutually_exclusive_group()
    sampling.add_argument("--frames-per-clip", type=options.positive_int,
                          help=f"N frames spread evenly over each clip (default: {DEFAULT_FRAMES_PER_CLIP})")
    sampling.add_argument("--every", type=options.positive_int, help="every K-th frame instead")
    sampling.add_argument("--rate", type=options.positive, help="this many frames per second of video instead")
    options.add_parallel(parser, None, "worker processes (default: CPU cores)")
    options.add_min_confidence(parser, DEFAULT_MIN_CONFIDENCE)
    parser.add_argument("--margin", type=options.non_negative, default=DEFAULT_CROP_MARGIN,
                        help=f"margin around the face box, as a fraction of its size (default: {DEFAULT_CROP_MARGIN})")
    parser.add_argument("--align", action="store_true", help="rotate faces upright using the eyes")
    options.add_face(parser, FACE_SELECTIONS[0])
    parser.add_argument("--overwrite", action="store_true", help="rebuild a cache made with other settings")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_extract)

    parser = commands.add_parser(
        "train", parents=[common], help="train the CNN on the crop cache (participant split) and save model + model card",
        description="Train the 3-block CNN on cached face crops, split by participant. Writes MODELS/NAME.keras, "
                    "the model card MODELS/NAME.json, NAME_history.csv and NAME_curves.png.")
    options.add_metadata(parser)
    options.add_cache(parser)
    config = TrainConfig()  # the one home of the defaults
    parser.add_argument("--models", default=str(MODELS_DIR), help=f"output folder (default: {MODELS_DIR})")
    parser.add_argument("--name", type=options.file_name, default=config.name,
                        help=f"model name (default: {config.name})")
    parser.add_argument("--epochs", type=options.positive_int, default=config.epochs,
                        help=f"at most (default: {config.epochs})")
    parser.add_argument("--batch-size", type=options.positive_int, default=config.batch_size,
                        help=f"(default: {config.batch_size})")
    parser.add_argument("--learning-rate", type=options.positive, default=config.learning_rate,
                        help=f"Adam learning rate (default: {config.learning_rate})")
    parser.add_argument("--patience", type=options.positive_int, default=config.early_stopping_patience,
                        help=f"early-stopping patience in epochs (default: {config.early_stopping_patience})")
    parser.add_argument("--thresholds", type=options.thresholds, default=None,
                        help="cut points: default (-0.303,0.294), tertiles (of the training split), or LOW,HIGH "
                             "(default: default; with --kind measures --split-from, that card's)")
    parser.add_argument("--seed", type=int, default=config.seed,
                        help=f"initialisation, shuffling and augmentation (default: {config.seed})")
    parser.add_argument("--split-seed", type=int, default=config.split_seed,
                        help=f"the participant split; the same for every model of a data set unless changed "
                             f"(default: {config.split_seed})")
    parser.add_argument("--no-augment", action="store_true", help="train without augmentation")
    parser.add_argument("--no-class-weights", action="store_true", help="train without balanced class weights")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing model of that name")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    models.add_train_measures_options(parser)
    parser.set_defaults(run=run_train)

    parser = commands.add_parser(
        "evaluate", parents=[common],
        help="evaluate a model on its held-out participants, or several side by side, beside majority and random "
             "baselines",
        description="One CNN: frame- and video-level metrics on the test participants recorded in its model card, "
                    "with majority-class and stratified-random baselines; writes NAME_evaluation.json and "
                    "NAME_confusion.png beside the model. Several models, or a measures model (its .json card): "
                    "all of them on the test participants their cards share, side by side with the baselines "
                    "(video-level accuracy, macro-F1, per-class recall, Spearman with facial_expression per clip "
                    "with a 95%% interval resampling participants, and per participant); writes comparison.json, "
                    "comparison.md and comparison_clips.csv in --out.")
    parser.add_argument("--model", nargs="+", default=[str(DEFAULT_MODEL)], metavar="MODEL",
                        help=f"a CNN (.keras) or a measures model (.json card); several are compared side by side "
                             f"(default: {DEFAULT_MODEL})")
    options.add_metadata(parser)
    parser.add_argument("--cache", default=None,
                        help=f"face-crop cache (default: the one the model was trained on, as its card records; "
                             f"{CACHE_DIR} for a card without one)")
    parser.add_argument("--out", help="one CNN: the report JSON (default: beside the model, NAME_evaluation.json); "
                                      "side by side: the output folder (default: reports/comparison)")
    models.add_side_by_side_options(parser)
    parser.set_defaults(run=run_evaluate)

    parser = commands.add_parser(
        "convert", parents=[common], help="write the LiteRT export (.tflite) of a model trained before exports existed",
        description="Export MODEL.keras to MODEL.tflite beside it (float32; needs TensorFlow) and record its "
                    "sha256 in the model card, so that analysis can run it without TensorFlow.")
    parser.add_argument("model", metavar="MODEL", help="the .keras model, with its card beside it")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing .tflite")
    parser.set_defaults(run=run_convert)


def run_extract(args) -> int:
    from expressiveness.pipeline.extract import extract_dataset
    from expressiveness.data.cache import ExtractSettings

    settings = ExtractSettings(frames_per_clip=args.frames_per_clip, every=args.every, rate_fps=args.rate,
                               min_confidence=args.min_confidence,
                               margin=args.margin, align=args.align, face_selection=args.face)
    summary = extract_dataset(args.metadata, args.cache, settings, workers=args.workers,
                              overwrite=args.overwrite, progress=not args.no_progress, dask=args.dask)
    print(summary.text())
    if summary.processed == 0:
        print(f"{args.prog}: error: no video could be processed; see the manifest for why.", file=sys.stderr)
        return 1
    return 0


def run_train(args) -> int:
    if args.kind == "measures":
        return models.run_train_measures(args)
    from expressiveness.report import plots_training
    from expressiveness.levels.train import TrainConfig, train_model

    config = TrainConfig(name=args.name, epochs=args.epochs, batch_size=args.batch_size,
                         learning_rate=args.learning_rate, early_stopping_patience=args.patience,
                         thresholds=args.thresholds or TrainConfig().thresholds, seed=args.seed,
                         split_seed=args.split_seed,
                         augment=not args.no_augment,
                         class_weighting=not args.no_class_weights)
    result = train_model(args.metadata, args.cache, args.models, config, overwrite=args.overwrite,
                         verbose=0 if args.quiet else 2)
    curves = result.model_path.with_name(f"{config.name}_curves.png")
    plots_training.plt.close(plots_training.plot_training_curves(result.card["history"], curves))
    print(result.card["data"]["summary"])
    print(result.text())
    return 0


def run_evaluate(args) -> int:
    if len(args.model) > 1 or Path(args.model[0]).suffix != ".keras":
        return models.run_compare(args)
    from expressiveness.report import plots_training
    from expressiveness.levels.evaluate import evaluate_model

    model = args.model[0]
    evaluation = evaluate_model(model, args.metadata, args.cache, args.out)
    stem = Path(model).with_suffix("")
    matrix = evaluation.report["model"]["frame"]["confusion_matrix"]
    plots_training.plt.close(plots_training.plot_confusion_matrix(matrix, f"{stem}_confusion.png",
                                                                  "Confusion matrix, frames of test participants"))
    print(evaluation.text())
    print(evaluation.report["note"])
    return 0


def run_convert(args) -> int:
    from expressiveness.levels.model import export_tflite

    print(f"Wrote {export_tflite(args.model, overwrite=args.overwrite)} and recorded its sha256 in the card.")
    return 0
