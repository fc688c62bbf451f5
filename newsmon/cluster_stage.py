"""The cluster stages (``poll``, ``fulltext``, ``process``, ``index``, ``alert``, ``notify``) refuse
to start without a cluster, in one line that names the one-machine command.

Without ``NEWSMON_KAFKA_BOOTSTRAP`` / ``NEWSMON_ES_URL`` (or ``NEWSMON_MODE=cluster``) they would
dial the default ports and print a page of client retries: a new user who typed ``newsmon poll``
wants ``newsmon run``.
"""

import typer

from newsmon.backends import mode_for
from newsmon.console import err
from newsmon.settings import Settings


def require_cluster(settings: Settings, command: str) -> None:
    """Exit 2 with one line unless the settings describe a cluster (see
    :func:`newsmon.backends.mode_for`)."""
    if mode_for(settings) == "cluster":
        return
    err.print(
        f"error: `newsmon {command}` is a cluster stage (Kafka + Elasticsearch: set "
        "NEWSMON_KAFKA_BOOTSTRAP and NEWSMON_ES_URL, or NEWSMON_MODE=cluster); on one machine, "
        "`newsmon run --feeds FILE` does every stage",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(2)
