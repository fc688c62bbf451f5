"""Is HTML to text linear on hostile shapes? Each shape at n and 8n, the time ratio printed.

    python bench/bench_html_text.py [--n 8000] [--repeats 3] [--json]

A linear extractor takes about 8x the time for 8x the input; a quadratic one 64x. newsmon's
``ingest.html_text`` is compared, on the same inputs in the same run, with the tree builders it
replaced or considered, when they are installed: lxml (libxml2's HTML parser) and selectolax
(lexbor). Each time is the best of ``--repeats`` (CPU time of this process), so a noisy
neighbour does not decide it.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable

from ingest.html_text import html_to_text

SHAPES = {
    "nested <div>": "<div>",
    "nested <li>": "<ul><li>",
    "<svg> + stray </br>": "<svg>--></br><",
    "paragraphs": "<p>Paragraph text here.</p>",
    "unclosed <a attr": '<a href="',
    "open comments": "<!--",
    "bare <": "< ",
    "entities": "&amp;&lt;&#x3c;&nbsp;",
}


def _lxml() -> Callable[[str], object] | None:
    try:
        from lxml import html as lxml_html  # optional comparison
    except ImportError:
        return None
    return lambda text: lxml_html.fromstring(text).text_content()


def _lexbor() -> Callable[[str], object] | None:
    try:
        from selectolax.lexbor import LexborHTMLParser  # optional comparison
    except ImportError:
        return None
    return lambda text: LexborHTMLParser(text).text()


def best(function: Callable[[str], object], text: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.process_time()
        function(text)
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8000, help="repetitions of each shape (small)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    extractors = {"newsmon": html_to_text, "lxml": _lxml(), "lexbor": _lexbor()}
    rows = []
    for shape, piece in SHAPES.items():
        small, large = piece * args.n + "x", piece * (8 * args.n) + "x"
        row: dict[str, object] = {"shape": shape, "bytes": len(large)}
        for name, function in extractors.items():
            if function is None:
                continue
            try:
                t_small, t_large = best(function, small, args.repeats), best(function, large, 1)
            except Exception as exc:  # a library that gives up on a shape is a result too
                row[name] = f"error: {type(exc).__name__}"
                continue
            row[name] = {
                "seconds": round(t_large, 3),
                "ratio": round(t_large / max(t_small, 1e-4), 1),
            }
        rows.append(row)
    if args.json:
        json.dump(rows, sys.stdout)
        print()
        return
    names = [n for n, f in extractors.items() if f is not None]
    print(f"8x the input ({args.n} -> {8 * args.n} repetitions): time ratio (8 = linear)")
    print(f"{'shape':22}" + "".join(f"{n:>22}" for n in names))
    for row in rows:
        cells = []
        for name in names:
            value = row.get(name)
            cells.append(
                f"{value['ratio']:>8}x {value['seconds']:>9.3f}s"
                if isinstance(value, dict)
                else f"{value!s:>20}"
            )
        print(f"{row['shape']:22}" + "".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
