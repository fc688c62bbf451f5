"""What every command shares: the two consoles and reading the settings once."""

import typer
from rich.console import Console
from rich.markup import escape

from contract.text import printable
from newsmon.settings import Settings

# No emoji codes: ":flag_..." sequences occur in queries and headlines (countries:Ukraine: ...).
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)


def load_settings() -> Settings:
    """The settings from the environment, or a clear message and exit code 2."""
    try:
        return Settings()
    except ValueError as exc:
        err.print(f"[red]invalid configuration:[/] {safe(exc)}")
        raise typer.Exit(2) from exc


def safe(text: object) -> str:
    """Data (feed text, an error naming a feed) for a Rich markup string: control characters
    made visible and inert, markup such as ``[/]`` or ``[link=...]`` escaped."""
    return escape(printable(text))
