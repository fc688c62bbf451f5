"""Which Elasticsearch failures are worth retrying, and turning them into TransientError.

Every store and query in ``sinks`` routes errors the same way: connection trouble, 429 and 5xx
become :class:`contract.TransientError` (the caller retries with backoff); anything else is a
real refusal and passes through for the caller to name.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from elasticsearch import ApiError, TransportError

from contract import TransientError


def is_transient(exc: Exception) -> bool:
    """Connection trouble, 429 or a 5xx: worth retrying."""
    if isinstance(exc, TransportError):  # connection errors and timeouts included
        return True
    return isinstance(exc, ApiError) and (exc.meta.status == 429 or exc.meta.status >= 500)


@contextmanager
def transient_errors(what: str) -> Iterator[None]:
    """Raise retryable Elasticsearch failures inside the block as TransientError naming ``what``.

    Raises:
        TransientError: connection trouble, 429 or 5xx while doing ``what``.
    """
    try:
        yield
    except (ApiError, TransportError) as exc:
        if is_transient(exc):
            raise TransientError(f"{what}: {exc}") from exc
        raise
