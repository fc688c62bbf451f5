"""Which trafilatura settings extract articles best? Each configuration, and newsmon's
``extract_page``, over the page corpus in one run: pages passing, and ms per page.

    python bench/bench_extract.py [--index tests/data/pages/index.yaml] [--json]
    python bench/bench_extract.py --evaldata TRAFILATURA_CHECKOUT/tests/evaldata.json [--half A]
    python bench/bench_extract.py --dates [--evaldata ...]

A page passes when ALL its expected snippets are in the extracted text ("expected") and NONE of
its excluded strings are ("excluded"); "both" needs the two. Snippets are matched as upstream's
tests match them (``snippet in text``) after the same normalisation of both sides for every
configuration: Unicode NFC and each run of whitespace as one space. Snippet columns count single
snippets (found / leaked), which separates near misses from failures on held-out data.

Trafilatura configurations get the page already decoded by ``ingest.encoding.decode_document``
(the same text for all), and their time is ``trafilatura.extract`` alone. ``extract_page`` gets
the bytes, and its time includes decoding, metadata, the date and the language.

``--evaldata``: upstream's evaluation set (``tests/evaldata.json``, the pages in ``tests/eval/``
beside it; its ``with`` / ``without`` lists read as expected / excluded), pages not in our
corpus: held-out data to check that settings chosen on the corpus are not tuned to it.
``--half A`` / ``--half B``: one of two fixed halves of it (by a hash of the file name, see
``half``), so that a rule can be designed on one half and checked on the other.

``--dates``: how many pages htmldate dates without and with its extensive search, how many of
the extra ones are a bare year (January 1st, midnight), and a list of the extra ones to check by
hand. There are no labelled dates: this counts, the checking is manual.
"""

import argparse
import hashlib
import json
import logging
import re
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trafilatura
import yaml
from htmldate import find_date

from ingest.encoding import decode_document
from ingest.extract import extract_page

REPO = Path(__file__).resolve().parents[1]
INDEX = REPO / "tests" / "data" / "pages" / "index.yaml"
_SPACE = re.compile(r"\s+")

CONFIGS: dict[str, dict[str, Any]] = {
    "defaults (comments in)": {},
    "recall, comments in": {"favor_recall": True},
    "precision, comments in": {"favor_precision": True},
    "fast, comments in": {"fast": True},
    "no tables, comments in": {"include_tables": False},
    "comments out": {"include_comments": False},
    "recall, comments out": {"include_comments": False, "favor_recall": True},
    "precision, comments out": {"include_comments": False, "favor_precision": True},
    "fast, comments out": {"include_comments": False, "fast": True},
    "no tables, comments out": {"include_comments": False, "include_tables": False},
    "fast, no tables, comments out": {
        "include_comments": False,
        "fast": True,
        "include_tables": False,
    },
}
"""Keyword arguments to ``trafilatura.extract``; all with links, images and formatting off."""
EXTRACT_PAGE = "newsmon extract_page"


@dataclass(frozen=True)
class Page:
    """A stored page and what its text must and must not contain."""

    path: Path
    url: str
    expected: tuple[str, ...]
    excluded: tuple[str, ...]


@dataclass
class Result:
    """One configuration's outcome over the corpus: per-page checks and times."""

    name: str
    expected_ok: set[str] = field(default_factory=set)
    excluded_ok: set[str] = field(default_factory=set)
    found: int = 0
    leaked: int = 0
    ms: list[float] = field(default_factory=list)

    @property
    def passing(self) -> set[str]:
        """Pages with every expected snippet and no excluded string."""
        return self.expected_ok & self.excluded_ok


def load_index(path: Path = INDEX) -> list[Page]:
    """The corpus as index.yaml lists it, paths resolved beside the index."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Page(path.parent / e["file"], e["url"], tuple(e["expected"]), tuple(e["excluded"]))
        for e in entries
    ]


def load_evaldata(path: Path, skip: set[str]) -> list[Page]:
    """Upstream's evaluation pages under ``eval/`` beside ``path``, minus files in ``skip``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    pages = []
    for url, entry in data.items():
        file = path.parent / "eval" / entry["file"]
        if file.is_file() and entry["file"] not in skip and entry.get("with"):
            pages.append(Page(file, url, tuple(entry["with"]), tuple(entry.get("without", []))))
    return pages


def half(name: str) -> str:
    """The fixed half of the evaluation set a file belongs to: "A" when the first byte of the
    SHA-256 of its name is even, else "B" (473 and 411 of the 884 held-out pages)."""
    return "A" if hashlib.sha256(name.encode()).digest()[0] % 2 == 0 else "B"


def normalise(text: str) -> str:
    """NFC, and every run of whitespace as one space: applied to text and snippets alike."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text))


def check(text: str, page: Page) -> tuple[int, int]:
    """(expected snippets found, excluded strings present) in ``text``."""
    flat = normalise(text)
    found = sum(normalise(s) in flat for s in page.expected)
    leaked = sum(normalise(s) in flat for s in page.excluded)
    return found, leaked


def trafilatura_text(html: str, url: str, options: dict[str, Any]) -> str:
    """Plain text as ``trafilatura.extract`` gives it with ``options``; "" for nothing."""
    return trafilatura.extract(html, url=url, include_links=False, **options) or ""


def configured(decoded: dict[Path, str], options: dict[str, Any]) -> Callable[[Page], str]:
    """An extractor for ``run``: trafilatura with ``options`` on the page's decoded text."""

    def extract(page: Page) -> str:
        return trafilatura_text(decoded[page.path], page.url, options)

    return extract


def decode_all(pages: list[Page]) -> dict[Path, str]:
    """Each page's text as ``decode_document`` reads it: the same input for every config."""
    return {p.path: decode_document(p.path.read_bytes(), None, html=True).text for p in pages}


def run(name: str, extract: Callable[[Page], str], pages: list[Page]) -> Result:
    """Extract every page with ``extract``, timing each call."""
    result = Result(name)
    for page in pages:
        started = time.perf_counter()
        text = extract(page)
        result.ms.append((time.perf_counter() - started) * 1000)
        found, leaked = check(text, page)
        result.found += found
        result.leaked += leaked
        if found == len(page.expected):
            result.expected_ok.add(page.path.name)
        if not leaked:
            result.excluded_ok.add(page.path.name)
    return result


def run_all(pages: list[Page], configs: dict[str, dict[str, Any]]) -> list[Result]:
    """Every configuration, then ``extract_page``, in this process."""
    decoded = decode_all(pages)
    bodies = {p.path: p.path.read_bytes() for p in pages}
    extract_page(bodies[pages[0].path], pages[0].url)  # warm-up: imports, the TLD list
    results = [run(name, configured(decoded, options), pages) for name, options in configs.items()]
    results.append(run(EXTRACT_PAGE, lambda p: extract_page(bodies[p.path], p.url).text, pages))
    return results


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def table(results: list[Result], pages: list[Page]) -> str:
    """The results as a Markdown table."""
    snippets = sum(len(p.expected) for p in pages)
    strings = sum(len(p.excluded) for p in pages)
    lines = [
        f"| configuration ({len(pages)} pages) | expected | excluded | both "
        f"| snippets found /{snippets} | leaked /{strings} | median ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {len(r.expected_ok)} | {len(r.excluded_ok)} | {len(r.passing)} "
            f"| {r.found} | {r.leaked} | {statistics.median(r.ms):.1f} | {p95(r.ms):.1f} |"
        )
    return "\n".join(lines)


def comparison(results: list[Result]) -> list[str]:
    """extract_page against the best trafilatura configuration, with and without comments."""
    ours = next(r for r in results if r.name == EXTRACT_PAGE)
    notes = []
    for label, pool in (
        ("overall", [r for r in results if r.name != EXTRACT_PAGE]),
        ("comments out", [r for r in results if r.name.endswith("comments out")]),
    ):
        best = max(pool, key=lambda r: (len(r.passing), -statistics.median(r.ms)))
        lost = sorted(best.passing - ours.passing)
        notes.append(
            f"best {label}: {best.name!r} {len(best.passing)} pages; extract_page "
            f"{len(ours.passing)}; passed by it, not by extract_page: {lost or 'none'}"
        )
    return notes


def dates(pages: list[Page]) -> list[str]:
    """htmldate's original date without, then with, its extensive search: counts and extras."""
    params: dict[str, Any] = {
        "original_date": True,
        "deferred_url_extractor": True,
        "outputformat": "%Y-%m-%d",
    }
    plain = extra = bare = 0
    extras = []
    for page in pages:
        tree = trafilatura.load_html(decode_document(page.path.read_bytes(), None, html=True).text)
        if tree is None:
            continue
        if find_date(tree, extensive_search=False, url=page.url, **params):
            plain += 1
        elif found := find_date(tree, extensive_search=True, url=page.url, **params):
            extra += 1
            bare += found.endswith("-01-01")
            extras.append(f"  {found} {page.path.name}")
    return [
        f"{len(pages)} pages: {plain} dated without the extensive search, {extra} more with it "
        f"({bare} of them January 1st: a bare year)",
        *extras,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=INDEX)
    parser.add_argument("--evaldata", type=Path, help="upstream evaldata.json: held-out pages")
    parser.add_argument("--half", choices=("A", "B"), help="with --evaldata: one fixed half")
    parser.add_argument("--json", action="store_true", help="per-configuration numbers as JSON")
    parser.add_argument("--dates", action="store_true", help="htmldate's extensive search")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # trafilatura logs every discarded page
    pages = load_index(args.index)
    if args.evaldata:
        pages = load_evaldata(args.evaldata, skip={p.path.name for p in pages})
        if args.half:
            pages = [p for p in pages if half(p.path.name) == args.half]
    if args.dates:
        print("\n".join(dates(pages)))
        return
    results = run_all(pages, CONFIGS)
    if args.json:
        print(
            json.dumps(
                {
                    r.name: {
                        "expected": len(r.expected_ok),
                        "excluded": len(r.excluded_ok),
                        "both": len(r.passing),
                        "median_ms": round(statistics.median(r.ms), 2),
                        "p95_ms": round(p95(r.ms), 2),
                    }
                    for r in results
                },
                indent=1,
            )
        )
        return
    print(table(results, pages))
    print()
    print("\n".join(comparison(results)))


if __name__ == "__main__":
    main()
