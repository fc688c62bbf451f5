"""``--data DIR``: the data dir a command reads, the same option and the same check everywhere.

Only ``newsmon run`` creates a data dir (the default ``.newsmon`` or the one ``--data`` names):
it is the command that makes data. Every other command given ``--data`` needs the directory to
exist, so a typo is an error naming it instead of a new, empty store answering "nothing found".
"""

from pathlib import Path
from typing import Annotated

import typer

from newsmon.console import err, load_settings, safe
from newsmon.settings import Settings

DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="data dir (NEWSMON_DATA_DIR); must exist (`newsmon run` makes it)"),
]
EmbeddedOption = Annotated[
    bool, typer.Option("--embedded", help="the SQLite store, even if a cluster is set")
]


def check_data_dir(data: Path) -> None:
    """Exit 1 with one line unless ``data`` is an existing directory."""
    if data.is_dir():
        return
    why = "not a directory" if data.exists() else "no such directory"
    err.print(
        f"[red]error:[/] --data {safe(data)}: {why} (`newsmon run --data DIR` creates one)",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(1)


def settings_with_data(data: Path | None) -> Settings:
    """The settings, with ``--data`` (checked to exist) as the data dir when given."""
    settings = load_settings()
    if data is None:
        return settings
    check_data_dir(data)
    return settings.model_copy(update={"data_dir": data})
