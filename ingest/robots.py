"""robots.txt, honoured for every article page: fetched once per host, cached (in SQLite, so a
restart does not refetch), fetched again after ``ttl``.

What a host's answer means follows RFC 9309: a 2xx body is parsed (with protego, which reads
Google's extensions too); a 4xx means there are no rules (everything allowed); a 5xx, a timeout
or a refused connection means the host could not say, so nothing is fetched from it until the
robots.txt is asked for again (after at most an hour).
"""

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from protego import Protego

from contract import FeedError
from ingest.encoding import decode_document

UNREACHABLE_TTL = 3600.0
"""Seconds an unreachable robots.txt (5xx, timeout) blocks its host before it is asked again."""
MAX_ROBOTS_BYTES = 512_000
"""RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt."""

Fetch = Callable[[str], Awaitable[tuple[int, bytes | None, str | None]]]
"""Fetches a robots.txt URL: (status, body, content type); raises FeedError when it cannot."""


@dataclass(frozen=True)
class Rules:
    """A host's robots.txt as fetched: ``status`` is ``ok``, ``none`` (4xx: no rules),
    ``unreachable`` (5xx or no answer: nothing allowed) or ``refused`` (the address rules do
    not let newsmon reach the host at all)."""

    status: str
    body: str
    fetched: float

    def allows(self, url: str, agent: str) -> bool:
        """Whether ``agent`` may fetch ``url`` under these rules."""
        if self.status == "none":
            return True
        if self.status in ("unreachable", "refused"):
            return False
        return bool(Protego.parse(self.body).can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float | None:
        """The ``Crawl-delay`` asked of ``agent``, if any."""
        if self.status != "ok":
            return None
        delay = Protego.parse(self.body).crawl_delay(agent)
        return float(delay) if delay is not None else None


@dataclass(frozen=True)
class Verdict:
    """May a page be fetched, and how slowly."""

    allowed: bool
    crawl_delay: float | None = None
    reason: str = ""
    refused: bool = False
    """The host's address is not fetched at all (the address rules), robots.txt aside."""


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: ``newsmon`` of
    ``newsmon/0.1 (+https://...)``."""
    token = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "newsmon"
    return token or "newsmon"


class RobotsCache:
    """Each host's robots.txt rules, kept in ``path`` (SQLite) and in memory.

    Args:
        path: the SQLite file (``":memory:"`` for tests and one-off commands).
        user_agent: the full User-Agent; its product token picks the robots.txt group.
        ttl: seconds a fetched robots.txt stays valid (a day by default).
        clock: epoch seconds (tests inject one).
    """

    def __init__(
        self,
        path: Path | str,
        user_agent: str,
        ttl: float = 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.agent = agent_token(user_agent)
        self.ttl = ttl
        self.clock = clock
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS robots ("
            "origin TEXT PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL, "
            "fetched REAL NOT NULL)"
        )
        self._memory: dict[str, Rules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def verdict(self, url: str, fetch: Fetch) -> Verdict:
        """Whether ``url`` may be fetched, fetching its host's robots.txt with ``fetch`` when
        it is not cached or has expired (one fetch per host at a time)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            rules = self._cached(origin)
            if rules is None:
                rules = await self._fetch(origin, fetch)
                self._store(origin, rules)
        if rules.allows(url, self.agent):
            return Verdict(True, rules.crawl_delay(self.agent))
        if rules.status == "refused":
            return Verdict(False, None, rules.body, refused=True)
        if rules.status == "unreachable":
            return Verdict(False, None, f"{origin}/robots.txt could not be read ({rules.body})")
        return Verdict(False, None, f"disallowed by {origin}/robots.txt")

    def _cached(self, origin: str) -> Rules | None:
        rules = self._memory.get(origin)
        if rules is None:
            row = self._db.execute(
                "SELECT status, body, fetched FROM robots WHERE origin = ?", (origin,)
            ).fetchone()
            if row is not None:
                rules = self._memory[origin] = Rules(*row)
        if rules is None:
            return None
        ttl = self.ttl if rules.status in ("ok", "none") else min(self.ttl, UNREACHABLE_TTL)
        return rules if self.clock() - rules.fetched < ttl else None

    async def _fetch(self, origin: str, fetch: Fetch) -> Rules:
        now = self.clock()
        try:
            status, body, content_type = await fetch(f"{origin}/robots.txt")
        except FeedError as exc:
            if exc.kind == "refused":
                return Rules("refused", exc.reason, now)
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return Rules("none", "", now)
            if exc.kind == "too-large":
                return Rules("none", "", now)
            return Rules("unreachable", exc.reason, now)
        if status != 200 or body is None:
            return Rules("none", "", now)
        text = decode_document(body[:MAX_ROBOTS_BYTES], content_type).text
        return Rules("ok", text, now)

    def _store(self, origin: str, rules: Rules) -> None:
        self._memory[origin] = rules
        self._db.execute(
            "INSERT OR REPLACE INTO robots (origin, status, body, fetched) VALUES (?, ?, ?, ?)",
            (origin, rules.status, rules.body, rules.fetched),
        )

    def close(self) -> None:
        """Close the SQLite file."""
        self._db.close()
