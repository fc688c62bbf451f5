"""Keeping secret URLs out of third-party log lines.

httpx logs every request at INFO as ``HTTP Request: POST <full URL> ...``; for a Slack incoming
webhook the URL *is* the credential. newsmon's own logging set-up keeps httpx at WARNING, but
this module does not rely on it: :func:`protect` registers a secret and a filter on the
``httpx`` logger rewrites any record that contains one, whatever the logging configuration.
"""

import logging
import threading

from sinks.notify.errors import scrub

_LOGGERS = ("httpx",)


class SecretRedactor(logging.Filter):
    """Replaces registered secrets with ``***`` in the records passing through."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, secret: str) -> None:
        """Redact ``secret`` from now on."""
        if secret and secret not in self._secrets:
            with self._lock:
                self._secrets = self._secrets | {secret}

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` if it mentions a secret; never drop it."""
        secrets = self._secrets
        if secrets:
            message = record.getMessage()
            if any(s in message for s in secrets):
                record.msg = scrub(message, *sorted(secrets, key=len, reverse=True))
                record.args = None
        return True


REDACTOR = SecretRedactor()
for _name in _LOGGERS:
    logging.getLogger(_name).addFilter(REDACTOR)


def protect(secret: str) -> None:
    """Keep ``secret`` out of the HTTP client's log lines."""
    REDACTOR.add(secret)
