"""Story clustering: syndicated copies and near-duplicates of one article share a ``story_id``.

A text is normalised (NFKC, case-folded, punctuation stripped, whitespace collapsed; a CJK
character counts as a word), cut into word shingles and summarised by a MinHash signature.
Signatures live in SQLite, so every process and every restart sees the same index: candidates
come from LSH band keys (an indexed table) and are confirmed by estimated Jaccard similarity, or
by containment when one text is a copy of the other cut to its first paragraphs.

The defaults come from an experiment on wire stories, kept as ``tests/unit/processors/
test_stories.py``: with 3-word shingles, edited copies (new headline, a sentence added or
removed, paragraphs reordered, byline, punctuation) have an estimated Jaccard of 0.60-1.00,
copies cut to three paragraphs 0.27-0.61 (containment 0.89-0.99), and independent reports of
the same event, sharing names, figures and a quote, 0.00-0.02.
"""

import hashlib
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import cast

import numpy as np
import numpy.typing as npt
from datasketch import MinHash  # type: ignore[import-untyped]

from contract import ConfigError, TransientError

SCHEME, SEED = "affine32", 1
"""datasketch's permutation scheme and seed, pinned: stored signatures must stay comparable."""
SIGNATURE_FORMAT = "1"
"""Bump when normalisation or shingle hashing changes: an index of the old format is refused."""
CONTAINMENT_MIN_JACCARD = 0.2
"""Containment needs at least this Jaccard: below it, a few chance signature matches between a
short and a long text would already look like containment."""
PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=NORMAL",
    f"cache_size=-{32 * 1024}",
    "wal_autocheckpoint=10000",
)
"""WAL so processes share the file; NORMAL sync (commits survive a process crash, a power cut
may lose the last few: redelivery recomputes them); a 32 MB page cache for the hot part of the
band index at ~100k articles; a checkpoint every 10,000 pages, not 1,000, as each assignment
dirties ~35 scattered pages (-10 % time per assignment; the WAL file grows to ~40 MB)."""

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")
_APOSTROPHES = re.compile(r"['\u2019\u02bc]")
_MIX = np.uint64(0x9E3779B97F4A7C15)

Hashes = npt.NDArray[np.uint32]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, story_id TEXT NOT NULL,
    content_hash TEXT NOT NULL, duplicate_of TEXT, similarity REAL NOT NULL,
    seen_at REAL NOT NULL, shingles INTEGER NOT NULL, signature BLOB);
CREATE INDEX IF NOT EXISTS articles_content_hash ON articles (content_hash, seq);
CREATE INDEX IF NOT EXISTS articles_seen_at ON articles (seen_at);
CREATE TABLE IF NOT EXISTS bands (
    key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID
"""


@dataclass(frozen=True)
class StoryMatch:
    """Where an article landed.

    Attributes:
        story_id: the id of the story's first article (stable across processes and restarts).
        content_hash: sha256 hex (first 32 chars) of the normalised text.
        duplicate_of: the first-assigned other article with the same ``content_hash``, if any.
        similarity: estimated Jaccard with the matched article (1.0 for a new story or an exact
            duplicate; below the threshold when containment made the match).
    """

    story_id: str
    content_hash: str
    duplicate_of: str | None
    similarity: float


def normalise(text: str) -> list[str]:
    """The words of ``text``: case-folded, apostrophes dropped, other punctuation a separator."""
    return _TOKEN.findall(_APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold()))


_WORD_HASHES: dict[str, int] = {}
"""64-bit hashes of words seen lately: a dict lookup is 20x cheaper than blake2b."""
_WORD_HASHES_MAX = 1 << 17


def _word_hashes(words: Sequence[str]) -> list[int]:
    hashes = list(map(_WORD_HASHES.get, words))
    if None in hashes:
        if len(_WORD_HASHES) > _WORD_HASHES_MAX:
            _WORD_HASHES.clear()
        for i, word in enumerate(words):
            if hashes[i] is None:
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                hashes[i] = _WORD_HASHES[word] = int.from_bytes(digest, "little")
    return cast(list[int], hashes)  # no None left


def shingle_hashes(words: Sequence[str], size: int) -> Hashes:
    """Distinct 32-bit hashes of the ``size``-word shingles (one shingle if fewer words).

    Each word is hashed once (cached) and windows are combined with numpy: several times faster
    than hashing every shingle string.
    """
    if not words:
        return np.empty(0, dtype=np.uint32)
    hashes = np.array(_word_hashes(words), dtype=np.uint64)
    width = min(size, len(words))
    windows = len(words) - width + 1
    acc = hashes[:windows].copy()
    for offset in range(1, width):
        acc = acc * _MIX + hashes[offset : offset + windows]
    folded = np.sort(((acc >> np.uint64(32)) ^ (acc & np.uint64(0xFFFFFFFF))).astype(np.uint32))
    return folded[np.concatenate(([True], folded[1:] != folded[:-1]))]  # np.unique, 10x faster


def _epoch(moment: datetime | None) -> float:
    moment = moment or datetime.now(UTC)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class _Signed:
    """An article ready for the index: its signature is computed outside any transaction."""

    article_id: str
    content_hash: str
    shingles: int
    signature: Hashes
    seen_at: float


class StoryIndex:
    """A persistent MinHash-LSH index of articles and the stories they belong to.

    Safe to share between threads, and between processes through the same file (SQLite WAL;
    each assignment is one ``BEGIN IMMEDIATE`` transaction, so two processes never give the
    same text two stories).

    Args:
        path: the SQLite file (its folder is created), or ``":memory:"``.
        threshold: estimated Jaccard at or above which two texts are one story.
        num_perm: MinHash permutations; fixed for the life of the file.
        shingle_size: words per shingle; fixed for the life of the file.
        bands: LSH bands of ``rows`` signature values (``bands * rows <= num_perm``), fixed for
            the life of the file. 32 bands of 2 find a pair with Jaccard 0.5 with probability
            0.9999, 0.4 with 0.996, 0.3 with 0.95, 0.2 with 0.73.
        rows: signature values per band.
        containment: also merge when this share of the smaller text's shingles is in the larger
            one (and Jaccard >= 0.2), so a copy cut to its lead paragraphs joins its story.
            ``None`` turns the rule off.
        max_candidates: candidates verified per article, most band hits first: bounds the cost
            when boilerplate makes many unrelated articles collide.
        busy_timeout: seconds to wait for another process's transaction before
            :class:`contract.TransientError`.

    Raises:
        ConfigError: a setting is out of range, the file cannot be opened, or it was built
            with another ``num_perm``, ``shingle_size`` or ``bands``/``rows``.
    """

    def __init__(
        self,
        path: Path | str,
        threshold: float = 0.4,
        num_perm: int = 128,
        shingle_size: int = 3,
        *,
        bands: int = 32,
        rows: int = 2,
        containment: float | None = 0.8,
        max_candidates: int = 32,
        busy_timeout: float = 30.0,
    ) -> None:
        for name, share in (("threshold", threshold), ("containment", containment)):
            if share is None:
                continue
            if not 0.0 < share <= 1.0:
                raise ConfigError(f"stories: {name} must be in (0, 1], not {share}")
        if min(num_perm, shingle_size, bands, rows, max_candidates) < 1:
            raise ConfigError("stories: num_perm, shingle_size, bands, rows must be >= 1")
        if bands * rows > num_perm:
            raise ConfigError(f"stories: {bands} bands x {rows} rows > num_perm {num_perm}")
        self.threshold, self.containment = threshold, containment
        self.num_perm, self.shingle_size = num_perm, shingle_size
        self.bands, self.rows, self.max_candidates = bands, rows, max_candidates
        self._permutations = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME).permutations
        self._salts = np.arange(bands, dtype=np.uint64) * _MIX
        self._lock = threading.Lock()
        self._db = _connect(str(path), busy_timeout)
        with self._transaction():
            self._check_schema()

    def _check_schema(self) -> None:
        for statement in _SCHEMA.split(";"):
            self._db.execute(statement)
        wanted = {
            "format": SIGNATURE_FORMAT,
            "num_perm": str(self.num_perm),
            "shingle_size": str(self.shingle_size),
            "bands": f"{self.bands}x{self.rows}",
        }
        stored = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not stored:
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
            return
        differ = [f"{k} {stored.get(k)} (not {v})" for k, v in wanted.items() if stored.get(k) != v]
        if differ:
            raise ConfigError(f"stories: the index was built with {', '.join(differ)}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One ``BEGIN IMMEDIATE`` transaction under the thread lock; busy -> TransientError."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise TransientError(f"stories: index busy: {exc}") from exc
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException as exc:
                self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError):
                    raise TransientError(f"stories: transaction failed: {exc}") from exc
                raise

    def _sign(self, items: Sequence[tuple[str, str, datetime | None]]) -> list[_Signed]:
        """Normalise, hash and MinHash ``(article_id, text, seen_at)`` items (no database)."""
        words = [normalise(text) for _, text, _ in items]
        shingles = [shingle_hashes(w, self.shingle_size) for w in words]
        minhashes = MinHash.bulk(
            [s.tolist() for s in shingles],
            num_perm=self.num_perm,
            seed=SEED,
            scheme=SCHEME,
            permutations=self._permutations,
            hashfunc=int,  # the values are hashes already; int() is the fastest identity
        )
        return [
            _Signed(
                article_id=article_id,
                content_hash=hashlib.sha256(" ".join(w).encode()).hexdigest()[:32],
                shingles=len(s),
                signature=m.hashvalues.astype(np.uint32),
                seen_at=_epoch(seen_at),
            )
            for (article_id, _, seen_at), w, s, m in zip(
                items, words, shingles, minhashes, strict=True
            )
        ]

    def _band_keys(self, signature: Hashes) -> list[int]:
        """The LSH keys of ``signature``: one signed 64-bit integer per band."""
        rows = signature[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, -1)
        acc = rows[:, 0].copy()
        for column in range(1, self.rows):
            acc = acc * _MIX + rows[:, column]
        keys: list[int] = (acc ^ self._salts).view(np.int64).tolist()
        return keys

    def assign(self, article_id: str, text: str, seen_at: datetime | None = None) -> StoryMatch:
        """Give ``article_id`` its story; the same id again returns the stored answer."""
        return self.assign_batch([(article_id, text, seen_at)])[0]

    def assign_batch(self, items: Sequence[tuple[str, str, datetime | None]]) -> list[StoryMatch]:
        """Assign ``(article_id, text, seen_at)`` items in order, in one transaction.

        ``seen_at`` defaults to now; naive datetimes are taken as UTC. Signatures are computed
        before the transaction starts, so the write lock is held only for lookups and inserts.

        Raises:
            TransientError: another process held the index past ``busy_timeout``.
        """
        if not items:
            return []
        signed = self._sign(items)
        with self._transaction():
            return [self._assign_one(item) for item in signed]

    def _assign_one(self, item: _Signed) -> StoryMatch:
        row = self._db.execute(
            "SELECT story_id, content_hash, duplicate_of, similarity FROM articles WHERE id = ?",
            (item.article_id,),
        ).fetchone()
        if row is not None:
            return StoryMatch(*row)
        match = self._match(item)
        stored = (match.story_id, match.content_hash, match.duplicate_of, match.similarity)
        cursor = self._db.execute(
            "INSERT INTO articles (id, story_id, content_hash, duplicate_of, similarity, seen_at,"
            " shingles, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (item.article_id, *stored, item.seen_at, item.shingles, item.signature.tobytes()),
        )
        if item.shingles:
            keys = self._band_keys(item.signature)
            self._db.executemany(
                "INSERT OR IGNORE INTO bands VALUES (?, ?)", [(k, cursor.lastrowid) for k in keys]
            )
        return match

    def _match(self, item: _Signed) -> StoryMatch:
        new = StoryMatch(item.article_id, item.content_hash, None, 1.0)
        if not item.shingles:
            return new  # an empty text is its own story, and nobody's duplicate
        exact = self._db.execute(
            "SELECT id, story_id FROM articles WHERE content_hash = ? ORDER BY seq LIMIT 1",
            (item.content_hash,),
        ).fetchone()
        if exact is not None:
            return StoryMatch(exact[1], item.content_hash, exact[0], 1.0)
        keys = self._band_keys(item.signature)
        candidates = self._db.execute(
            "SELECT a.story_id, a.shingles, a.signature FROM (SELECT seq, COUNT(*) AS hits"
            f" FROM bands WHERE key IN ({','.join('?' * len(keys))}) GROUP BY seq"
            " ORDER BY hits DESC, seq LIMIT ?) AS c JOIN articles AS a USING (seq)"
            " WHERE a.signature IS NOT NULL ORDER BY c.hits DESC, a.seq",
            (*keys, self.max_candidates),
        ).fetchall()
        if not candidates:
            return new
        signatures = np.frombuffer(b"".join(c[2] for c in candidates), dtype=np.uint32)
        estimates = (signatures.reshape(len(candidates), -1) == item.signature).mean(axis=1)
        best: StoryMatch | None = None
        for (story_id, shingles, _), jaccard in zip(candidates, estimates.tolist(), strict=True):
            if (best is None or jaccard > best.similarity) and self._same_story(
                jaccard, item.shingles, shingles
            ):
                best = StoryMatch(story_id, item.content_hash, None, jaccard)
        return best or new

    def _same_story(self, jaccard: float, size_a: int, size_b: int) -> bool:
        """Jaccard at the threshold, or the smaller text (nearly) inside the larger one."""
        if jaccard >= self.threshold:
            return True
        if self.containment is None or jaccard < CONTAINMENT_MIN_JACCARD:
            return False
        shared = jaccard / (1.0 + jaccard) * (size_a + size_b)
        return shared / min(size_a, size_b) >= self.containment

    def prune(self, older_than: datetime) -> int:
        """Drop the signatures and band keys of articles seen before ``older_than``.

        Their rows stay (about 150 bytes each), so a redelivery still gets its stored answer and
        exact duplicates still find them; no story id changes, and a story lives on through its
        newer articles.

        Returns:
            How many articles lost their signatures.
        """
        cutoff = _epoch(older_than)
        old = "SELECT seq FROM articles WHERE seen_at < ? AND signature IS NOT NULL"
        with self._transaction():
            self._db.execute(f"DELETE FROM bands WHERE seq IN ({old})", (cutoff,))
            cursor = self._db.execute(
                f"UPDATE articles SET signature = NULL WHERE seq IN ({old})", (cutoff,)
            )
            return cursor.rowcount

    def __len__(self) -> int:
        """How many articles the index knows, pruned ones included."""
        with self._lock:
            count: int = self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            return count

    def close(self) -> None:
        """Close the database; the index stays on disk."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> "StoryIndex":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    """Autocommit connection (transactions are explicit), WAL, busy timeout, bigger cache."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        for pragma in PRAGMAS:
            db.execute(f"PRAGMA {pragma}")
    except sqlite3.Error as exc:
        raise ConfigError(f"stories: cannot open the index {path!r}: {exc}") from exc
    return db
