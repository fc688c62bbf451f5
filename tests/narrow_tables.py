"""Whether a rich Table reads at a given width: no column narrower than its longest word.

Rich squeezes a table that does not fit: a column ends up narrower than a word in it, so the
word is cut to an ellipsis ("own…") or folded one or two characters per line. This measures the
widths rich gives each column for the console width, as rich lays them out, against the least
each column needs (its longest word, with padding). A column that folds on purpose (queries,
URLs: ``overflow="fold"``) needs only :data:`FOLD_MIN` characters.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

FOLD_MIN = 16
"""Characters a folding column needs to stay readable (a query folded at 16 reads; at 4 not)."""


def crushed_columns(table: Table, width: int = 80) -> list[str]:
    """The columns of ``table`` too narrow at ``width``, each as ``header: got N, needs M``."""
    console = Console(width=width, color_system=None)
    max_width = table.width if table.width is not None else console.width
    options = console.options.update_width(min(max_width, width) - table._extra_width)
    widths = table._calculate_column_widths(console, options)
    problems = []
    for column, got in zip(table.columns, widths, strict=True):
        needs = table._measure_column(console, options, column).minimum
        if column.overflow == "fold":
            needs = min(needs, FOLD_MIN + table._get_padding_width(column._index))
        if got < needs:
            problems.append(f"{column.header}: got {got}, needs {needs}")
    return problems


@contextmanager
def printed_tables(monkeypatch: pytest.MonkeyPatch, console: Console) -> Iterator[list[Table]]:
    """Every Table printed on ``console`` while in the block (printed as usual too)."""
    tables: list[Table] = []
    original = console.print

    def record(*objects: Any, **kwargs: Any) -> None:
        tables.extend(o for o in objects if isinstance(o, Table))
        original(*objects, **kwargs)

    monkeypatch.setattr(console, "print", record)
    yield tables
