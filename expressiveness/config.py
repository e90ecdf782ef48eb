"""Constants shared by every stage: labels, cut points, face size and default paths.

Nothing here has side effects; paths are relative to the working directory unless a
caller passes absolute ones.
"""

from pathlib import Path

# Label order is the model's output order; it is stored in every model card.
LABELS = ("Reserved Expression", "Balanced Expression", "Expressive")
PROBABILITY_COLUMNS = ("prob_reserved", "prob_balanced", "prob_expressive")  # per-frame level probabilities, LABELS order

# Cut points on the RecruitView `facial_expression` score:
# Reserved if score < LOW; Balanced if LOW <= score <= HIGH; Expressive if score > HIGH.
THRESHOLDS = (-0.303, 0.294)

FACE_SIZE = 48  # side of the square grayscale face crop, in pixels
FACE_SELECTIONS = ("largest", "most_confident", "most_central")  # which face is the interviewee (face.select_face)
FRAMES_PER_CLIP = 32  # crops per clip that `extract` samples when no other rule is given (data.cache)

# Face detection and crops: the defaults of extraction (cache.ExtractSettings), of analysis
# without a model card that records them (AnalysisOptions.with_card) and of the command line.
DEFAULT_MIN_CONFIDENCE = 0.5  # the face detector's score threshold, in [0.0, 1.0]
SUBJECT_RULES = ("auto", "largest", "center", "speaker")  # --subject: who is measured (pipeline/subject.py)
DEFAULT_FACE_SELECTION = "largest"  # the interviewee among several faces (face.FACE_SELECTIONS)
DEFAULT_CROP_MARGIN = 0.15  # fraction of the face box's side added on each side of a crop
FACE_TRACKINGS = ("image", "video")  # how the face landmarker sees frames (face.FaceOptions)
DEFAULT_FACE_TRACKING = "image"  # files: each frame on its own; the live camera tracks ("video")

SCORE_FIELDS = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
    "overall_personality",
    "interview_score",
    "answer_score",
    "speaking_skills",
    "confidence_score",
    "facial_expression",
    "overall_performance",
)
TARGET_SCORE = "facial_expression"

DURATIONS = ("short", "medium", "long")
VIDEO_QUALITIES = ("High", "Low")

DATA_DIR = Path("FYP") / "RecruitView_Data"
METADATA_FILE = DATA_DIR / "metadata.jsonl"
MODELS_DIR = Path("models")
DEFAULT_MODEL = MODELS_DIR / "expressiveness_cnn.keras"  # the model TrainConfig() trains by default
DEMO_MODEL = MODELS_DIR / "demo_cnn.keras"  # what `make demo` trains (synthetic labels); never a default
CACHE_DIR = Path("cache")  # face-crop cache written by `expressiveness extract`
REPORTS_DIR = Path("reports")
ANALYSIS_DIR = REPORTS_DIR / "validation"  # clip analyses in ANALYSIS_DIR/clips, shared by `validate` and measures training

# The participant split (metadata.participant_split): one per data set, shared by every model
# trained on it. Training hyperparameters live in train_config.TrainConfig.
SPLIT_FRACTIONS = (0.7, 0.15, 0.15)  # train, validation, test
SEED = 42

# The measures model (measures.model) and its comparison with the human ratings (correlation).
ESTIMATORS = ("linear", "boosting")
CV_FOLDS = 5  # at most; fewer when the training split has fewer participants
BOOTSTRAP_SAMPLES = 1000  # resamples of participants for a 95% interval
