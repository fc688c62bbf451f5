"""The table of ``newsmon subscriptions list``, readable from 80 columns up.

In a narrow terminal the name and owner give way (``subscriptions show ID`` has them) and a
disabled subscription says ``off`` in its mode, so the query keeps room to fold into; from
:data:`WIDE` columns on, every column is shown.
"""

from rich import box
from rich.table import Table

from contract import Subscription
from newsmon.console import safe

WIDE = 120
"""Terminal width from which the name, owner and enabled columns are shown too."""


def _channels(subscription: Subscription) -> str:
    return ", ".join(c.type for c in subscription.channels)


def subscriptions_table(found: list[Subscription], width: int) -> Table:
    """``found`` as a table for a terminal ``width`` columns wide."""
    wide = width >= WIDE
    table = Table(title="subscriptions", box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("id", no_wrap=True)
    if wide:
        table.add_column("name", overflow="fold")
        table.add_column("owner", overflow="fold")
    table.add_column("kind")
    table.add_column("mode")
    table.add_column("channels")
    if wide:
        table.add_column("enabled")
    table.add_column("query", overflow="fold", min_width=16, ratio=1)
    for s in found:
        named = (safe(s.name), safe(s.owner)) if wide else ()
        mode = s.mode if s.enabled or wide else "off"
        enabled = ("yes" if s.enabled else "no",) if wide else ()
        table.add_row(
            safe(s.id), *named, safe(s.kind), mode, safe(_channels(s)), *enabled, safe(s.query)
        )
    return table
