"""The table of ``newsmon config``: each variable with its value, and what it means below it.

Two columns, not three: the variable names are up to 33 characters and must not break, and a
third column left the meanings a dozen characters wide in an 80-column terminal.
"""

from rich.table import Table
from rich.text import Text

from contract.text import printable
from newsmon.console import safe


def settings_table(rows: list[tuple[str, str, str]]) -> Table:
    """(variable, value, meaning) rows as a table readable from 80 columns up."""
    table = Table("environment variable", "value, and what it means")
    table.columns[0].no_wrap = True
    table.columns[1].overflow = "fold"
    for name, value, meaning in rows:
        shown = Text(printable(value)) if value else Text("(not set)", style="dim")
        about = Text(printable(meaning), style="dim")
        table.add_row(safe(name), Text.assemble(shown, "\n", about))
    return table
