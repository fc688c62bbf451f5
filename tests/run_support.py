"""Running the ``newsmon`` CLI as a laptop user would: no cluster variable, a data dir of its
own."""

import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NEWSMON = str(REPO / ".venv" / "bin" / "newsmon")


def embedded_env(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a laptop: no NEWSMON_* cluster variable, a data dir of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
    return {
        **env,
        "NEWSMON_DATA_DIR": str(data),
        "NEWSMON_PROCESS_BATCH_WAIT": "0.2",
        # the tests' feeds and webhook receivers are servers on loopback
        "NEWSMON_ALLOW_PRIVATE_NETWORKS": "true",
        # the tests' feed items link to sites that do not exist: pages only where a test (or
        # a feed's own fulltext:) asks for them
        "NEWSMON_FULLTEXT": "never",
        **extra,
    }


def newsmon(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the CLI and wait for it."""
    exe = NEWSMON if Path(NEWSMON).exists() else "newsmon"
    return subprocess.run(
        [exe, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def stored_docs(data: Path) -> list[dict[str, Any]]:
    """Every stored article document (the embedded store), as JSON."""
    db = data / "articles.sqlite3"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return [json.loads(bytes(row[0])) for row in conn.execute("SELECT doc FROM articles")]
    except sqlite3.OperationalError:  # not created yet
        return []
