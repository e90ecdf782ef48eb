import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from expressiveness.agreement.compare import baseline_predictions, compare_models, score_answers
from expressiveness.config import LABELS, TARGET_SCORE
from expressiveness.errors import DatasetError, ExpressivenessError, ModelFileError
from expressiveness.measures.model import (ANSWER_KEYS, CARD_VERSION, MEASURE_FEATURES, LinearPipeline, MeasuresModel,
                                           answer_summary, fit_estimators, load_measures_model, predict_summary,
                                           save_measures_model)
from expressiveness.agreement.train_measures import MeasuresConfig, train_measures_model
from expressiveness._io import file_sha256
from expressiveness.data.levels import level_index
from tests.conftest import make_record, write_jsonl

FEATURES = ["expressivity_mean", "head_motion_deg_s_mean", "blinks_per_minute"]
TINY_BOOSTING = {"regressor": {"n_estimators": [20]}, "classifier": {"n_estimators": [20]}}


def linear_table(participants: int = 12, clips: int = 5, seed: int = 0) -> pd.DataFrame:
    """Clips whose score is exactly 2 x expressivity - 0.5 x head motion + 0.3 (about a third of
    them in each level); blinks is noise with two gaps."""
    rng = np.random.default_rng(seed)
    count = participants * clips
    table = pd.DataFrame({"id": [f"{k:04d}" for k in range(count)],
                          "user_no": [str(k // clips + 1) for k in range(count)],
                          FEATURES[0]: rng.normal(3, 0.3, count), FEATURES[1]: rng.normal(12, 1, count),
                          FEATURES[2]: rng.normal(20, 5, count)})
    table[TARGET_SCORE] = 2 * table[FEATURES[0]] - 0.5 * table[FEATURES[1]] + 0.3
    table.loc[[3, count - 1], FEATURES[2]] = np.nan
    return table


def hand_card(estimator: str) -> dict:
    return {"card_version": CARD_VERSION, "kind": "measures", "name": f"hand_{estimator}", "estimator": estimator, "features": FEATURES,
            "thresholds": [-0.303, 0.294], "labels": list(LABELS)}


def test_ridge_recovers_a_known_linear_function():
    table = linear_table()
    regressor, classifier, report = fit_estimators(table, FEATURES, (-0.303, 0.294), "linear", seed=0)
    assert report["folds"] == 5 and report["participants"] == 12
    assert report["regressor"]["best_params"] == {"alpha": 0.001}  # no noise: the least shrinkage wins
    np.testing.assert_allclose(regressor.coef / regressor.scale, [2.0, -0.5, 0.0], atol=1e-3)
    np.testing.assert_allclose(regressor.predict(table[FEATURES]), table[TARGET_SCORE], atol=1e-3)
    # The plain-number pipeline predicts what scikit-learn's own pipeline predicts.
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    values = table[FEATURES].to_numpy()
    labels = level_index(table[TARGET_SCORE])
    ridge = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), Ridge(alpha=0.001)).fit(
        values, table[TARGET_SCORE])
    logistic = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(
        C=report["classifier"]["best_params"]["C"], class_weight="balanced", max_iter=5000)).fit(values, labels)
    np.testing.assert_allclose(regressor.predict(values), ridge.predict(values), rtol=0, atol=1e-10)
    np.testing.assert_allclose(classifier.predict_proba(values), logistic.predict_proba(values), rtol=0, atol=1e-10)
    assert regressor.params["imputation"][2] == pytest.approx(np.nanmedian(table[FEATURES[2]]))


@pytest.mark.parametrize("estimator", ["linear", "boosting"])
def test_a_saved_model_reloads_and_predicts_identically(estimator, tmp_path):
    table = linear_table(participants=6, clips=4)
    regressor, classifier, _ = fit_estimators(table, FEATURES, (-0.303, 0.294), estimator, seed=0,
                                              grids=TINY_BOOSTING if estimator == "boosting" else None)
    model = MeasuresModel(hand_card(estimator), regressor, classifier)
    model_path = save_measures_model(model, tmp_path / f"hand_{estimator}.json")
    assert model_path.name == ("hand_linear.linear.json" if estimator == "linear" else "hand_boosting.skops")
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".")]
    loaded = load_measures_model(model_path)  # the model file leads to its card
    pd.testing.assert_frame_equal(loaded.predict(table), model.predict(table))
    if estimator == "linear":
        assert isinstance(loaded.regressor, LinearPipeline)
        assert "pickle" not in model_path.read_text()


def test_a_model_file_that_does_not_match_its_card_is_refused(tmp_path):
    table = linear_table(participants=4, clips=3)
    model = MeasuresModel(hand_card("linear"), *fit_estimators(table, FEATURES, (-0.303, 0.294))[:2])
    model_path = save_measures_model(model, tmp_path / "hand_linear.json")
    recorded = model.card["sha256"]["model"]
    model_path.write_text(model_path.read_text().replace("[", "[ ", 1))
    from expressiveness.card import file_sha256

    with pytest.raises(ModelFileError) as caught:
        load_measures_model(tmp_path / "hand_linear.json")
    assert str(caught.value) == (f"{model_path} does not match its model card {tmp_path / 'hand_linear.json'} (sha256 "
                                 f"{file_sha256(model_path)[:12]}, card {recorded[:12]}); retrain with `expressiveness "
                                 f"train --kind measures` or restore the pair.")


def test_a_feature_missing_from_the_card_or_the_summary_is_refused(tmp_path):
    table = linear_table(participants=4, clips=3)
    model = MeasuresModel(hand_card("linear"), *fit_estimators(table, FEATURES, (-0.303, 0.294))[:2])
    save_measures_model(model, tmp_path / "hand_linear.json")
    card_path = tmp_path / "hand_linear.json"
    summary = {name: 1.0 for name in FEATURES} | {"landmarks_share": 1.0}
    assert predict_summary(model, summary)["predicted_level"] in LABELS
    with pytest.raises(DatasetError) as caught:
        predict_summary(model, {key: value for key, value in summary.items() if key != "blinks_per_minute"},
                        "clip_summary.json")
    assert str(caught.value) == ("clip_summary.json has no blinks_per_minute, a feature of the measures model; "
                                 "expected a summary analysed with the facial measures on.")
    card = json.loads(card_path.read_text())
    card_path.write_text(json.dumps({**card, "features": FEATURES[:2] + ["smile_rate"]}))
    with pytest.raises(ModelFileError, match=r"hand_linear.json: the model card lists unknown feature 'smile_rate'; "
                                             r"expected names from expressivity_mean, "):
        load_measures_model(card_path)
    card_path.write_text(json.dumps({key: value for key, value in card.items() if key != "features"}))
    with pytest.raises(ModelFileError) as caught:
        load_measures_model(card_path)
    assert str(caught.value) == (f"{card_path}: the model card lacks features; retrain with `expressiveness train "
                                 f"--kind measures` or restore the pair.")


def test_too_few_participants_for_grouped_cross_validation():
    table = linear_table(participants=2, clips=6)
    with pytest.raises(DatasetError) as caught:
        fit_estimators(table, FEATURES, (-0.303, 0.294))
    assert str(caught.value) == ("grouped cross-validation needs at least 3 participants with usable clips in the "
                                 "training split; it has 2 (user_no 1, 2). Add participants or change the split.")


def test_evaluation_numbers_equal_hand_computed_ones():
    clips = pd.DataFrame({"user_no": list("aaabbbccc"), TARGET_SCORE: [-2, -1.5, -1, 0, 0.1, 0.2, 1, 2, 3],
                          "label": [0, 0, 0, 1, 1, 1, 2, 2, 2],
                          "answer": [1.0, 2, 3, 4, 5, 6, 7, 9, 8]})
    predicted = [0, 0, 1, 1, 1, 1, 2, 1, 2]
    clips[["p0", "p1", "p2"]] = np.eye(3)[predicted]
    result = score_answers(clips, samples=200)
    assert result["video"]["accuracy"] == pytest.approx(7 / 9)
    # Reserved: P 1, R 2/3, F1 0.8; Balanced: P 3/5, R 1, F1 0.75; Expressive: P 1, R 2/3, F1 0.8.
    assert result["video"]["macro_f1"] == pytest.approx((0.8 + 0.75 + 0.8) / 3)
    assert [result["video"]["per_class"][label]["recall"] for label in LABELS] == pytest.approx([2 / 3, 1, 2 / 3])
    # One swapped pair of neighbours among 9: 1 - 6 x 2 / (9 x 80).
    assert result["clip_spearman"] == round(1 - 12 / 720, 4)
    assert result["participant_spearman"] == 1.0  # means 2, 5, 8 against -1.5, 0.1, 2
    low, high = result["clip_spearman_ci95"]
    assert low <= result["clip_spearman"] <= high
    majority = baseline_predictions(["x", "y"], [5, 2, 3], "majority")
    assert majority["answer"].tolist() == [0.0, 0.0] and majority["p0"].tolist() == [1.0, 1.0]
    stratified = baseline_predictions(range(3000), [1, 2, 1], "stratified", seed=7)
    np.testing.assert_allclose(stratified[["p0", "p1", "p2"]].mean(), [0.25, 0.5, 0.25], atol=0.03)
    assert stratified.equals(baseline_predictions(range(3000), [1, 2, 1], "stratified", seed=7))


def test_a_data_set_whose_clips_have_no_landmarks(demo_dir, tmp_path):
    records = [json.loads(line) for line in (demo_dir / "metadata.jsonl").read_text().splitlines()]
    faceless = next(record for record in records if record["user_no"] == "8")
    (tmp_path / "data" / "videos").mkdir(parents=True)
    lines = []
    for number in (1, 2, 3):
        shutil.copy(demo_dir / faceless["file_name"], tmp_path / "data" / "videos" / f"vid_{number:04d}.mp4")
        lines.append(make_record(number))
    metadata = write_jsonl(tmp_path / "data" / "metadata.jsonl", lines)
    from expressiveness.pipeline.options import AnalysisOptions

    with pytest.raises(DatasetError) as caught:
        train_measures_model(metadata, tmp_path / "models", analysis_dir=tmp_path / "a", options=AnalysisOptions(every=8),
                             progress=False)
    assert str(caught.value) == (f"{metadata}: none of its 3 analysed clips has face landmarks (0 could not be read); "
                                 f"expected clips where MediaPipe finds the face (see {tmp_path / 'a' / 'clips'}).")
    assert not (tmp_path / "models").exists()


# ---------------------------------------------------------------- the demo data set, end to end

@pytest.fixture(scope="module")
def demo_models(demo_dir, demo_extraction, tmp_path_factory):
    """A tiny CNN on the demo's crops (the session's 4-frame crop cache, read-only), then a
    boosting model on the measures and the CNN's mean probabilities, and a linear one on the
    measures, both with the CNN's split."""
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.levels.train import TrainConfig, train_model

    folder = tmp_path_factory.mktemp("measures_demo")
    metadata = demo_dir / "metadata.jsonl"
    cache, _ = demo_extraction
    cnn = train_model(metadata, cache, folder / "models", TrainConfig(name="cnn", epochs=1, augment=False), verbose=0)
    options = AnalysisOptions(every=3)
    boosting = train_measures_model(metadata, folder / "models", MeasuresConfig(name="boost", estimator="boosting",
                                                                                grids=TINY_BOOSTING),
                                    folder / "analysis", cnn.model_path, cnn.card_path, options, workers=1,
                                    progress=False)
    linear = train_measures_model(metadata, folder / "models", MeasuresConfig(name="linear"), folder / "analysis",
                                  split_from=cnn.model_path, options=options, progress=False)
    return {"folder": folder, "metadata": metadata, "cache": cache, "cnn": cnn, "boosting": boosting,
            "linear": linear}


def test_trained_on_the_demo_with_the_cnns_split(demo_models):
    cnn_card = demo_models["cnn"].card
    # Clips of people the CNN's split leaves out (a CNN that splits only the clips with crops
    # leaves out the faceless clip's person) are left out of the measures model's too.
    people = {person for part in cnn_card["splits"].values() for person in part["participants"]}
    records = [json.loads(line) for line in demo_models["metadata"].read_text().splitlines()]
    outside = sum(record["user_no"] not in people for record in records)
    for result in (demo_models["linear"], demo_models["boosting"]):
        card = json.loads(result.card_path.read_text())
        assert card["kind"] == "measures" and card["split_source"] == str(demo_models["cnn"].card_path)
        for part in ("train", "validation", "test"):
            assert card["splits"][part]["participants"] == cnn_card["splits"][part]["participants"]
            assert set(card["splits"][part]["clips"]) <= set(cnn_card["splits"][part]["clips"])
        assert card["thresholds"] == cnn_card["thresholds"] and card["threshold_source"] == "the split card's"
        assert card["data"] == {"metadata": str(demo_models["metadata"]), "clips": 19, "analysed": 19,
                                "without_landmarks": 1, "failed": 0, "outside_the_split": outside}
        assert card["cross_validation"]["folds"] == 5 and card["metrics"]["test"]["level"]["count"] == 3
        assert set(card["imputation"]) == set(card["features"]) and card["versions"]["scikit-learn"]
        assert card["analysis"]["every"] == 3
    assert json.loads(demo_models["linear"].card_path.read_text())["features"] == list(MEASURE_FEATURES)
    boosting = demo_models["boosting"].model.card
    assert boosting["features"][-3:] == ["mean_prob_reserved", "mean_prob_balanced", "mean_prob_expressive"]
    assert boosting["cnn_model"] == {"name": "cnn", "path": str(demo_models["cnn"].model_path)}
    # Every model here learnt the demo's synthetic labels, and its card says so (issue 33).
    demo_data = {"metadata": str(demo_models["metadata"]), "metadata_sha256": file_sha256(demo_models["metadata"]),
                 "demo": True}
    assert cnn_card["training_data"] == boosting["training_data"] == demo_data
    assert "Trained on the demo's synthetic labels." in demo_models["cnn"].text()
    assert "Trained on the demo's synthetic labels. Saved" in demo_models["linear"].text()


def test_a_demo_model_reloads_and_answers_a_video_summary(demo_models, tmp_path):
    from expressiveness.pipeline.results_folder import write_summary_table
    from expressiveness.pipeline.run import AnalysisRun

    linear = demo_models["linear"]
    loaded = load_measures_model(linear.card_path)
    summary = json.loads((demo_models["folder"] / "analysis" / "clips" / "vid_0007_summary.json").read_text())
    row = pd.DataFrame([{name: np.nan if summary[name] is None else summary[name] for name in loaded.features}])
    pd.testing.assert_frame_equal(loaded.predict(row), linear.model.predict(row))
    before = pd.read_csv(demo_models["folder"] / "analysis" / "clips" / "summary.csv", dtype=str,
                         keep_default_na=False)
    answered = answer_summary(loaded, dict(summary))
    assert answered["predicted_score"] == round(float(loaded.predict(row)["predicted_score"][0]), 4)
    assert answered["predicted_level"] == LABELS[int(loaded.predict(row)["predicted_level"][0])]
    assert answered["measures_model_trained_on"] == "the demo's synthetic labels"
    assert set(list(answered)[-len(ANSWER_KEYS) + 1:]) == set(ANSWER_KEYS[:-1])  # the answer comes last
    others = [json.loads((demo_models["folder"] / "analysis" / "clips" / f"{name}_summary.json").read_text())
              for name in before["name"] if name != "vid_0007"]
    write_summary_table(tmp_path, [answered] + others)
    after = pd.read_csv(tmp_path / "summary.csv", dtype=str, keep_default_na=False).set_index("name")
    before = before.set_index("name")
    pd.testing.assert_frame_equal(after.loc[before.index, before.columns], before)  # the analysis' columns as they were
    assert list(after.columns[-len(ANSWER_KEYS) + 1:]) == list(ANSWER_KEYS[:-1])
    assert after["predicted_level"].to_dict() == {
        name: answered["predicted_level"] if name == "vid_0007" else "" for name in before.index}
    with pytest.raises(ExpressivenessError) as caught:
        AnalysisRun(tmp_path, None, measures_model=demo_models["boosting"].card_path)
    assert str(caught.value) == (f"--measures-model {demo_models['boosting'].card_path} uses the mean probabilities "
                                 f"of CNN 'cnn'; analyse with --model {demo_models['cnn'].model_path}.")


def test_every_listed_summary_gets_this_runs_answer_and_none_keeps_a_stale_one(demo_models, demo_dir, tmp_path):
    """Issue 33, item 6: summary.csv lists earlier runs' summaries too; their measures-model
    answers are refreshed with this run's model (an old model's answer does not stay), and one
    the model cannot answer (analysed without the facial measures) is marked, not dropped;
    a run without a measures model removes the earlier answers."""
    from expressiveness.pipeline.options import AnalysisOptions
    from expressiveness.pipeline.run import AnalysisRun

    loaded = load_measures_model(demo_models["linear"].card_path)
    clips = demo_models["folder"] / "analysis" / "clips"
    for n in (8, 9):
        shutil.copy(clips / f"vid_{n:04d}_summary.json", tmp_path / f"vid_{n:04d}_summary.json")
    stale, measureless = (json.loads((tmp_path / f"vid_{n:04d}_summary.json").read_text()) for n in (8, 9))
    stale.update(measures_model="old", measures_model_sha256="0" * 64, predicted_score=9.0, predicted_level="x")
    measureless.pop("expressivity_mean")
    for summary in (stale, measureless):
        (tmp_path / f"{summary['name']}_summary.json").write_text(json.dumps(summary))
    cnn_card = demo_models["linear"].model.card["analysis"]
    run = AnalysisRun(tmp_path, None, AnalysisOptions(every=cnn_card["every"]),
                      measures_model=demo_models["linear"].card_path)
    report = run.analyze([demo_dir / "videos" / "vid_0007.mp4"], progress=False)
    assert [summary["name"] for summary in report.listed] == ["vid_0007", "vid_0008", "vid_0009"]
    fresh = predict_summary(loaded, json.loads((clips / "vid_0008_summary.json").read_text()))
    written = {name: json.loads((tmp_path / f"{name}_summary.json").read_text())
               for name in ("vid_0007", "vid_0008", "vid_0009")}
    assert {key: written["vid_0008"][key] for key in fresh} == fresh and fresh["predicted_score"] != 9.0
    assert written["vid_0009"]["predicted_score"] is None and written["vid_0009"]["measures_model"] == loaded.name
    assert written["vid_0009"]["measures_model_note"] == (
        f"{measureless['video']}'s summary has no expressivity_mean, a feature of the measures model; expected a "
        f"summary analysed with the facial measures on.")
    table = pd.read_csv(tmp_path / "summary.csv").set_index("name")
    assert table["measures_model"].tolist() == [loaded.name] * 3
    assert table.loc["vid_0008", "predicted_score"] == fresh["predicted_score"]
    assert pd.isna(table.loc["vid_0009", "predicted_score"]) and pd.isna(table.loc["vid_0007", "measures_model_note"])
    # Without a measures model, no summary keeps an answer: in the files and in summary.csv.
    AnalysisRun(tmp_path, None, AnalysisOptions(every=cnn_card["every"])).analyze(
        [demo_dir / "videos" / "vid_0007.mp4"], progress=False)
    for name in ("vid_0007", "vid_0008", "vid_0009"):
        assert not set(ANSWER_KEYS) & set(json.loads((tmp_path / f"{name}_summary.json").read_text())), name
    assert not set(ANSWER_KEYS) & set(pd.read_csv(tmp_path / "summary.csv").columns)


def cli(*argv) -> int:
    """A subcommand through the real parser, exceptions raised (main() would map them to a line)."""
    from expressiveness.cli import build_parser

    parser, _ = build_parser()
    args = parser.parse_args([str(part) for part in argv])
    args.prog = f"expressiveness {args.command}"
    return args.run(args)


def test_compare_the_cnn_and_both_measures_models_on_the_demo(demo_models, tmp_path, capsys):
    from expressiveness.levels.evaluate import evaluate_model

    cnn = demo_models["cnn"]
    assert cli("evaluate", "--model", cnn.model_path, demo_models["linear"].card_path,
               demo_models["boosting"].model_path,
               "--metadata", demo_models["metadata"], "--out", tmp_path / "c", "--bootstrap", 100, "--no-progress") == 0
    output = capsys.readouterr().out
    assert "circular" in output and "Test set: 1 participants, 3 clips" in output
    report = json.loads((tmp_path / "c" / "comparison.json").read_text())
    assert [row["name"] for row in report["models"]] == ["cnn", "linear", "boost", "majority baseline",
                                                         "stratified random baseline"]
    assert report["test_set"]["participant_ids"] == cnn.card["splits"]["test"]["participants"]
    clips = pd.read_csv(tmp_path / "c" / "comparison_clips.csv", dtype={"id": str, "user_no": str})
    rows = {row["name"]: row for row in report["models"]}
    for name in ("linear", "boost"):
        assert rows[name]["video"]["accuracy"] == pytest.approx((clips[f"{name}: level"] == clips["label"]).mean())
        rho = spearmanr(clips[f"{name}: answer"], clips[TARGET_SCORE]).statistic
        assert rows[name]["clip_spearman"] == (None if np.isnan(rho) else round(float(rho), 4))
    test = demo_models["linear"].model.card["metrics"]["test"]
    assert rows["linear"]["video"]["accuracy"] == pytest.approx(test["level"]["accuracy"])
    # The CNN through its LiteRT export gives the Keras evaluation's video-level figures.
    evaluation = evaluate_model(cnn.model_path, demo_models["metadata"], demo_models["cache"], False)
    assert rows["cnn"]["video"]["accuracy"] == pytest.approx(evaluation.report["model"]["video"]["accuracy"])
    assert rows["cnn"]["video"]["confusion_matrix"] == evaluation.report["model"]["video"]["confusion_matrix"]
    assert rows["majority baseline"]["clip_spearman"] is None
    assert (tmp_path / "c" / "comparison.md").read_text().count("\n| ") == 6


def test_compare_refuses_models_tested_on_other_people(demo_models, tmp_path):
    card = {**demo_models["cnn"].card, "splits": {"test": {"participants": ["1"]}, "train": {"participants": []}}}
    (tmp_path / "other.json").write_text(json.dumps(card))
    with pytest.raises(DatasetError) as caught:
        compare_models([demo_models["linear"].card_path, tmp_path / "other.keras"], demo_models["metadata"],
                       tmp_path / "c")
    assert str(caught.value) == (f"{demo_models['linear'].card_path} and {tmp_path / 'other.keras'} hold out different "
                                 f"test participants; train the measures model with --split-from the CNN's card so "
                                 f"that both are tested on the same people.")


def test_comparing_a_cnn_imports_no_tensorflow(demo_models, tmp_path):
    from tests.isolated import tensorflow_modules_imported_by

    code = (f"from expressiveness.agreement.compare import compare_models; compare_models("
            f"[{str(demo_models['cnn'].model_path)!r}, {str(demo_models['linear'].card_path)!r}], "
            f"{str(demo_models['metadata'])!r}, {str(tmp_path)!r}, samples=100, progress=False)")
    assert tensorflow_modules_imported_by(code) == []
    assert (tmp_path / "comparison.json").is_file()


def test_train_command_for_a_measures_model(demo_models, tmp_path, capsys):
    folder = demo_models["folder"]
    assert cli("train", "--kind", "measures", "--metadata", demo_models["metadata"], "--models", tmp_path,
               "--analysis", folder / "analysis", "--every", 3, "--thresholds", "tertiles", "--no-progress") == 0
    output = capsys.readouterr().out
    card = json.loads((tmp_path / "expressiveness_measures.json").read_text())
    assert card["threshold_source"] == "tertiles of the training split" and card["split_source"].startswith(
        "participant_split of all 19 clips")
    # Without --split-from, the same split as the CNN trained with the default split seed.
    for part in ("train", "validation", "test"):
        assert card["splits"][part]["participants"] == demo_models["cnn"].card["splits"][part]["participants"]
    assert "Saved" in output and "circular" in output
    with pytest.raises(FileExistsError, match="expressiveness_measures.json exists; pass --overwrite"):
        cli("train", "--kind", "measures", "--metadata", demo_models["metadata"], "--models", tmp_path)


def test_analyze_adds_the_measures_models_answer(demo_models, demo_dir, tmp_path, capsys):
    linear = demo_models["linear"]
    video = demo_dir / "videos" / "vid_0007.mp4"
    assert cli("analyze", video, "--model", demo_models["cnn"].model_path, "--measures-model", linear.card_path,
               "--every", 3, "--out", tmp_path, "--no-figures", "--no-progress", "--html") == 0
    summary = json.loads((tmp_path / "vid_0007_summary.json").read_text())
    page = (tmp_path / "vid_0007_report.html").read_text()
    assert f"Measures model {linear.model.name} (whole clip)" in page
    # Both models learnt the demo's synthetic labels: the page, the index and the console say so,
    # and nothing speaks of human ratings behind them (issue 33).
    output = capsys.readouterr()
    assert (f"Note: {demo_models['cnn'].model_path} was trained on the demo's synthetic labels, not on human "
            f"ratings" in output.err)
    assert f"Measures model {linear.model.name} (trained on the demo's synthetic labels), per video" in output.out
    index = (tmp_path / "index.html").read_text()
    for text in (page, " ".join(index.split())):
        text = " ".join(text.split())
        assert "come from a small image classifier trained on the demo&#39;s synthetic labels" in text
        assert "(RecruitView)" not in text and "those raters" not in text
    assert "facial measures; trained on the demo&#39;s synthetic labels" in " ".join(page.split())
    assert summary["provenance"]["model_trained_on"] == "the demo's synthetic labels"
    assert f"{summary['predicted_score']:+.2f} &middot; {summary['predicted_level']}" in page
    expected = predict_summary(load_measures_model(linear.card_path), summary)
    assert expected["predicted_score"] is not None
    assert {key: summary[key] for key in expected} == expected
    table = pd.read_csv(tmp_path / "summary.csv")
    assert table.loc[0, "predicted_level"] == summary["predicted_level"]
    assert f"vid_0007: score {summary['predicted_score']:+.3f}, level {summary['predicted_level']}" in output.out
    # A rerun without the measures model reuses the analysis but drops the answer it did not ask for.
    assert cli("analyze", video, "--model", demo_models["cnn"].model_path, "--every", 3, "--out", tmp_path,
               "--no-figures", "--no-progress", "--html") == 0
    assert "1 reused" in capsys.readouterr().out
    rerun = json.loads((tmp_path / "vid_0007_summary.json").read_text())
    assert rerun == {key: value for key, value in summary.items() if key not in ANSWER_KEYS}
    assert "predicted_score" not in pd.read_csv(tmp_path / "summary.csv").columns
    assert "Measures model" not in (tmp_path / "vid_0007_report.html").read_text()
    with pytest.raises(ExpressivenessError, match="needs the facial measures; drop --no-measures"):
        cli("analyze", video, "--model", demo_models["cnn"].model_path, "--measures-model", linear.card_path,
            "--no-measures", "--out", tmp_path)
