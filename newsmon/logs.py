"""Logging set-up: readable lines on stderr, and a file under the data dir for long runs."""

import logging
from pathlib import Path


def setup_logging(level: str, log_file: Path | None = None, stderr: bool = True) -> None:
    """Configure the root logger once (``stderr=False``: to the file only, for commands whose
    terminal shows a live status instead)."""
    handlers: list[logging.Handler] = [logging.StreamHandler()] if stderr else []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    for noisy in ("kafka", "elastic_transport", "httpx", "aiokafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
