# One-command set-up, demo and tests. Each target creates .venv first if it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-slow test-all bench clean-demo mutate

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

NOTEBOOK := Facial_Expression_Expressiveness_Recognition.ipynb

DEMO_CLIP := FYP/RecruitView_Data/videos/vid_0016.mp4
DEMO_MODEL := models/demo_cnn.keras

# Builds the demo data set if FYP/RecruitView_Data is empty, runs the training notebook in quick
# mode (extract into cache/, train the demo's own model $(DEMO_MODEL), evaluate, train the measures
# model models/demo_measures and compare both; the executed copy is outputs/$(NOTEBOOK)), analyses
# one clip with that model, and checks the installation. A rerun reuses the data set, the crop
# cache and finished analyses, and replaces only the demo models.
demo: $(STAMP)
	test -f FYP/RecruitView_Data/metadata.jsonl || $(BIN)/expressiveness demo-data
	EXPRESSIVENESS_QUICK=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter nbconvert --to notebook --execute \
		--ExecutePreprocessor.timeout=1800 --output-dir outputs $(NOTEBOOK)
	clip=$(DEMO_CLIP); test -f $$clip || clip=$$(ls FYP/RecruitView_Data/videos/* | head -n 1); \
		$(BIN)/expressiveness analyze "$$clip" --model $(DEMO_MODEL) --out outputs/analysis --annotate --html
	$(BIN)/python test_system.py --no-camera --model $(DEMO_MODEL)
	@echo ""
	@echo "Demo finished. Outputs:"
	@echo "  data set        FYP/RecruitView_Data/ (metadata.jsonl, videos/; synthetic labels)"
	@echo "  face crops      cache/ (manifest.csv, crops/; where extract, train and evaluate look)"
	@echo "  demo model      models/demo_cnn.keras, .tflite (inference), .json (card); trained on synthetic labels"
	@echo "  evaluation      models/demo_cnn_evaluation.json, _confusion.png, _curves.png"
	@echo "  measures model  models/demo_measures.json (card), .linear.json; on the CNN's split"
	@echo "  side by side    reports/comparison/comparison.md (both models and two baselines; circular on demo labels)"
	@echo "  notebook run    outputs/$(NOTEBOOK)"
	@echo "  clip analysis   outputs/analysis/vid_0016_frames.csv, _summary.json, _timeline.png, _annotated.mp4"
	@echo "  clip report     outputs/analysis/vid_0016_report.html (open in a browser), index.html"
	@echo "Try next:"
	@echo "  .venv/bin/python real_time_demo.py --model $(DEMO_MODEL)   # webcam, 'q' quits"
	@echo "  .venv/bin/expressiveness analyze your_videos/ --out reports/mine   # facial measures"
	@echo "  .venv/bin/expressiveness train     # your own model, models/expressiveness_cnn (README)"

# Tests in 2 processes (pytest-xdist), one test file per process at a time, the longest files
# first (tests/conftest.py orders them). `make test` leaves out the tests marked slow (real
# processes killed, the notebook's whole run; pyproject.toml's addopts); `make test-slow` runs
# only those (CI runs it after `make test`); `make test-all` runs everything.
PARALLEL := -n 2 --dist loadfile --no-loadscope-reorder

test: $(STAMP)
	$(BIN)/python -m pytest $(PARALLEL)

test-slow: $(STAMP)
	$(BIN)/python -m pytest $(PARALLEL) -m slow

test-all: $(STAMP)
	$(BIN)/python -m pytest $(PARALLEL) -m "slow or not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_extract.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_analyze.py
	$(BIN)/python benchmarks/bench_startup.py

# Mutation testing of the pure-logic modules against their fast tests ([tool.mutmut] in
# pyproject.toml); slow on 2 cores. MODULE=data.metadata (or video.reading, face.crops,
# levels.dataset, levels.evaluate, pipeline.frames, pipeline.options, pipeline.per_video,
# pipeline.scorers, measures.facial, measures.moments, measures.quality, measures.blendshapes,
# measures.timebase)
# runs one module's mutants. Work
# files stay in mutants/ (git-ignored); a rerun resumes. `$(BIN)/mutmut browse` shows each survivor.
mutate: $(STAMP)
	test -x $(BIN)/mutmut || $(BIN)/python -m pip install --disable-pip-version-check -q -e ".[test]"
	$(BIN)/mutmut run --max-children 2 $(if $(MODULE),"expressiveness.$(MODULE).*")
	$(BIN)/mutmut results
