"""Bounded retries with exponential backoff and jitter, shared by every sender.

An attempt either returns, raises :class:`Retry` (worth trying again: a timeout, a refused
connection, HTTP 429/5xx, an SMTP 4xx) or raises :class:`Refused` (never worth it: HTTP 4xx, an
SMTP 5xx). When the retries are spent, or at once on :class:`Refused`, the caller gets a
:class:`~sinks.notify.errors.SendFailed` with the last reason and the attempt count.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sinks.notify.errors import SendFailed

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]


class Retry(Exception):
    """This attempt failed in a way that may pass (the message is the secret-free reason)."""


class Refused(Exception):
    """This attempt failed for good (the message is the secret-free reason)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        retries: attempts after the first.
        backoff: the first delay in seconds; it doubles after each failed attempt.
        cap: the longest single delay.
        jitter: up to this fraction of the delay is added at random (spreads retry storms).
    """

    retries: int = 5
    backoff: float = 1.0
    cap: float = 60.0
    jitter: float = 0.1

    def delay(self, failed_attempts: int) -> float:
        """Seconds to wait after ``failed_attempts`` (>= 1) failures."""
        base = min(self.cap, self.backoff * 2.0 ** (failed_attempts - 1))
        return base + random.uniform(0, base * self.jitter)


def with_retries(
    attempt: Callable[[int], None],
    policy: RetryPolicy,
    sleep: Sleep = time.sleep,
) -> int:
    """Call ``attempt(n)`` for n = 1, 2, ... until it returns; return the attempts made.

    Args:
        attempt: one try; gets its 1-based number (for an ``X-...-Attempt`` header); the
            message of what it raises names the destination and holds no secret.
        policy: retries and delays.
        sleep: waits between attempts; may raise to abandon (the runner's stop signal).

    Raises:
        SendFailed: permanent on :class:`Refused`, else after ``policy.retries`` retries.
    """
    total = policy.retries + 1
    for number in range(1, total + 1):
        try:
            attempt(number)
            return number
        except Refused as exc:
            raise SendFailed(str(exc), number, permanent=True) from None
        except Retry as exc:
            if number == total:
                raise SendFailed(str(exc), number, permanent=False) from None
            delay = policy.delay(number)
            log.warning("%s; retry %d/%d in %.2f s", exc, number, policy.retries, delay)
            sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
