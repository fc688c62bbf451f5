"""Console delivery: the alert as plain text on the terminal running newsmon.

The laptop channel: ``newsmon run`` shows alerts as they happen without any server or account.
The text is the same as an email's body; where it goes (stdout, a rich console above the status
line) is the caller's choice.
"""

from collections.abc import Callable

from contract import ConsoleChannel
from contract.text import printable
from sinks.notify.notice import Notice
from sinks.notify.render import render_text


class ConsoleSender:
    """Delivers notices to :class:`contract.ConsoleChannel` by calling ``write`` with the text."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    def send(self, notice: Notice, channel: ConsoleChannel) -> int:
        """Write ``notice`` once; return 1."""
        self.write(printable(render_text(notice)))  # feed text is never terminal control
        return 1
