"""Typed errors cross process boundaries intact."""

import pickle

import pytest

from contract import (
    BlockedAddress,
    ConfigError,
    FeedError,
    InvalidQuery,
    NewsmonError,
    PoisonMessage,
)


@pytest.mark.parametrize(
    "error",
    [
        FeedError(
            "feed", "HTTP 429 Too Many Requests", transient=True, status=429, retry_after=5.0
        ),
        PoisonMessage("bad", b"payload", "title"),
        InvalidQuery("q:(", "Encountered <EOF>"),
        BlockedAddress("localhost", "127.0.0.1", "loopback"),
        ConfigError("plain"),
    ],
)
def test_errors_survive_pickling(error: NewsmonError) -> None:
    """A feed parsed in a worker process fails there: its error crosses back pickled."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__
