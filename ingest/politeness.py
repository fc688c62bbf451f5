"""Politeness per host: at most ``concurrency`` requests in flight to one host, and their
starts at least ``delay`` seconds apart.

Article pages come in bursts from one site (a feed's 30 new items all live on its host), so the
limits are per host, not global: a burst to one site waits its turn there while other hosts go
on. A robots.txt ``Crawl-delay`` can lengthen a host's delay (never shorten it).
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The host:port a URL is fetched from, lower-cased (the unit of politeness)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        port = None
    return host if port in (None, default) else f"{host}:{port}"


@dataclass
class _Host:
    slots: asyncio.Semaphore
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    delay: float | None = None


class HostLimiter:
    """Per-host concurrency and spacing of request starts (one asyncio event loop).

    Args:
        concurrency: requests in flight to one host at most.
        delay: seconds between two request starts to one host at least.
        clock: monotonic seconds (tests inject one).
    """

    def __init__(
        self, concurrency: int = 2, delay: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.delay = max(0.0, delay)
        self.clock = clock
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(asyncio.Semaphore(self.concurrency))
        return state

    def slow_down(self, host: str, delay: float) -> None:
        """Space this host's requests by ``delay`` if that is longer than the default (a
        robots.txt ``Crawl-delay``)."""
        state = self._host(host)
        state.delay = max(delay, self.delay)

    def hold(self, host: str, seconds: float) -> None:
        """No new request to ``host`` for ``seconds`` (a 429 or 503 with ``Retry-After``)."""
        state = self._host(host)
        state.next_start = max(state.next_start, self.clock() + seconds)

    def sent(self, host: str) -> None:
        """A request to ``host`` is going out now: the next one starts ``delay`` after it.

        Called from the HTTP client's request hook, so the spacing holds as the server sees
        it even when this event loop was busy between granting a slot and sending."""
        state = self._host(host)
        delay = self.delay if state.delay is None else state.delay
        state.next_start = max(state.next_start, self.clock() + delay)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Wait for a free slot at ``host`` and its next allowed start, then hold the slot."""
        state = self._host(host)
        async with state.slots:
            async with state.gate:  # starts are spaced one after the other
                wait = state.next_start - self.clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                delay = self.delay if state.delay is None else state.delay
                state.next_start = self.clock() + delay
            yield
