"""Elasticsearch failures routed on purpose: retryable ones become TransientError."""

import pytest
from elasticsearch import ConnectionError as ESConnectionError
from es_responses import api_error

from contract import TransientError
from sinks.elasticsearch.errors import is_transient, transient_errors


@pytest.mark.parametrize(
    "error", [api_error(429), api_error(500), api_error(503), ESConnectionError("refused")]
)
def test_retryable_failures_become_transient_naming_the_work(error: Exception) -> None:
    assert is_transient(error)
    with (
        pytest.raises(TransientError, match="reading alert x"),
        transient_errors("reading alert x"),
    ):
        raise error


@pytest.mark.parametrize("status", [400, 404, 409])
def test_refusals_pass_through(status: int) -> None:
    error = api_error(status)
    assert not is_transient(error)
    with pytest.raises(type(error)), transient_errors("anything"):
        raise error
