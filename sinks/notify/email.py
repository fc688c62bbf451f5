"""Email delivery over SMTP: one multipart/alternative message (plain text + HTML) per notice.

A single alert or a whole digest is one email. ``Message-ID`` is derived from the notice id
(``<alert id>@newsmon`` or ``<digest id>@newsmon``), so a resend after a crash carries the same
id and mail clients and filters recognise it; ``X-Newsmon-Alert-Id`` carries the id too.
Connection errors, timeouts and SMTP 4xx replies are retried; 5xx replies and refused
recipients are permanent. The password stays a ``SecretStr`` until ``login``.
"""

import logging
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from pydantic import SecretStr

from contract import EmailChannel
from sinks.notify.notice import Notice
from sinks.notify.render import render_html, render_text, subject
from sinks.notify.retry import Refused, Retry, RetryPolicy, Sleep, with_retries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send mail (filled from newsmon's ``smtp_*`` settings)."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "newsmon@localhost"
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    timeout: float = 30.0


def message_id(notice_id: str) -> str:
    """The ``Message-ID`` of a notice: stable, so a resend is recognisable."""
    return f"<{notice_id}@newsmon>"


def build_message(notice: Notice, sender: str, to: list[str]) -> EmailMessage:
    """The email for ``notice``: text part first, HTML alternative second."""
    msg = EmailMessage()
    msg["Subject"] = subject(notice)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(notice.id)
    msg["X-Newsmon-Alert-Id"] = notice.id
    msg["X-Newsmon-Event"] = notice.event
    msg.set_content(render_text(notice))
    msg.add_alternative(render_html(notice), subtype="html")
    return msg


class EmailSender:
    """Delivers notices to :class:`contract.EmailChannel` recipients through one SMTP server."""

    def __init__(
        self, config: SmtpConfig, *, policy: RetryPolicy | None = None, sleep: Sleep = time.sleep
    ) -> None:
        self.config = config
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def _deliver(self, msg: EmailMessage, to: list[str]) -> None:
        c = self.config
        with smtplib.SMTP(c.host, c.port, timeout=c.timeout) as smtp:
            if c.starttls:
                smtp.starttls()
            if c.username and c.password is not None:
                smtp.login(c.username, c.password.get_secret_value())
            refused = smtp.send_message(msg, from_addr=c.sender, to_addrs=to)
        if refused:
            log.warning("email %s: refused for %s", msg["Message-ID"], ", ".join(sorted(refused)))

    def send(self, notice: Notice, channel: EmailChannel) -> int:
        """Send one email for ``notice``; return the attempts made.

        Raises:
            SendFailed: a permanent SMTP refusal, or retries exhausted.
        """
        msg = build_message(notice, self.config.sender, channel.to)
        label = f"smtp {self.config.host}:{self.config.port}"

        def attempt(_number: int) -> None:
            try:
                self._deliver(msg, channel.to)
            except smtplib.SMTPRecipientsRefused as exc:
                raise Refused(f"{label}: all recipients refused ({len(exc.recipients)})") from None
            except smtplib.SMTPNotSupportedError as exc:
                raise Refused(f"{label}: {exc}") from None
            except smtplib.SMTPResponseException as exc:
                reason = f"{label}: {type(exc).__name__} {exc.smtp_code}"
                if 400 <= exc.smtp_code < 500:
                    raise Retry(reason) from None
                raise Refused(reason) from None
            except (smtplib.SMTPException, OSError) as exc:
                raise Retry(f"{label}: {type(exc).__name__}: {exc}") from None

        return with_retries(attempt, self.policy, self.sleep)
