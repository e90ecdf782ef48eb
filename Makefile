# One-command set-up, demo and tests. Each target creates .venv first if it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean-demo

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

NOTEBOOK := Facial_Expression_Expressiveness_Recognition.ipynb

# Builds the demo data set if FYP/RecruitView_Data is empty, then runs the training notebook in
# quick mode (extract, train, evaluate); the executed copy is outputs/$(NOTEBOOK).
demo: $(STAMP)
	test -f FYP/RecruitView_Data/metadata.jsonl || $(BIN)/expressiveness demo-data
	EXPRESSIVENESS_QUICK=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter nbconvert --to notebook --execute \
		--ExecutePreprocessor.timeout=1800 --output-dir outputs $(NOTEBOOK)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_extract.py
	$(BIN)/python benchmarks/bench_train.py
