"""FaceOptions: the face settings' defaults and checks in one place, shared by extraction, analysis
and the model card (issue 34: the detector defaults were repeated in about eight places)."""

import pytest

from expressiveness.config import DEFAULT_CROP_MARGIN, DEFAULT_FACE_SELECTION, DEFAULT_MIN_CONFIDENCE
from expressiveness.data.cache import ExtractSettings
from expressiveness.face.options import FaceOptions
from expressiveness.pipeline.options import AnalysisOptions


def test_one_set_of_defaults_for_extraction_analysis_and_cards():
    default = FaceOptions()
    assert (default.min_confidence, default.selection, default.tracking, default.margin, default.align) == (
        DEFAULT_MIN_CONFIDENCE, DEFAULT_FACE_SELECTION, "image", DEFAULT_CROP_MARGIN, False)
    assert ExtractSettings().face == default
    assert AnalysisOptions().with_card({}).face == FaceOptions(margin=DEFAULT_CROP_MARGIN)
    assert FaceOptions.from_card({}) == default  # a card from before crop records


def test_a_cards_crop_record_round_trips_and_fills_what_it_lacks():
    trained = FaceOptions(min_confidence=0.7, selection="most_central", margin=0.3, align=True)
    card = {"crop": trained.card_record()}
    assert card["crop"] == {"min_confidence": 0.7, "face_selection": "most_central", "margin": 0.3, "align": True}
    assert FaceOptions.from_card(card) == trained
    assert FaceOptions.from_card({"crop": {"margin": 0}}) == FaceOptions(margin=0.0)
    analysis = AnalysisOptions(min_confidence=0.2).with_card(card)  # what the user sets wins over the card
    assert (analysis.min_confidence, analysis.face_selection) == (0.2, "most_central")


@pytest.mark.parametrize("settings, message", [
    ({"min_confidence": 1.5}, "min_confidence is 1.5; expected a number in [0.0, 1.0]."),
    ({"min_confidence": True}, "min_confidence is True; expected a number in [0.0, 1.0]."),
    ({"face_selection": "tallest"}, "face_selection is 'tallest'; expected one of largest, most_confident, "
                                    "most_central."),
])
def test_extraction_and_analysis_refuse_a_bad_face_setting_in_the_same_words(settings, message):
    for make in (ExtractSettings, AnalysisOptions):
        with pytest.raises(ValueError) as caught:
            make(**settings)
        assert str(caught.value) == message, make


def test_bad_tracking_margin_and_align_name_the_setting():
    with pytest.raises(ValueError, match=r'^face_tracking is \'live\'; expected "image" or "video"\.$'):
        AnalysisOptions(face_tracking="live")
    with pytest.raises(ValueError, match=r"^margin is -0\.1; expected a fraction >= 0, such as 0\.15\.$"):
        ExtractSettings(margin=-0.1)
    with pytest.raises(ValueError, match=r"^align is 1; expected True or False\.$"):
        FaceOptions(align=1)
