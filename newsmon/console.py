"""What every command shares: the two consoles and reading the settings once."""

import typer
from rich.console import Console

from newsmon.settings import Settings

# No emoji codes: ":flag_..." sequences occur in queries and headlines (countries:Ukraine: ...).
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)


def load_settings() -> Settings:
    """The settings from the environment, or a clear message and exit code 2."""
    try:
        return Settings()
    except ValueError as exc:
        err.print(f"[red]invalid configuration:[/] {exc}")
        raise typer.Exit(2) from exc
