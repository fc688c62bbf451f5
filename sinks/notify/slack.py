"""Slack-compatible incoming webhooks: ``{"text": ..., "blocks": [...]}`` POSTed as JSON.

The webhook URL is the credential, so it is a ``SecretStr`` that only this module unwraps, and
log lines and errors call the destination just "slack webhook" (and :mod:`sinks.notify.redact`
keeps it out of httpx's request log). Retries are those of the
signed webhooks (:func:`sinks.notify.http_post.post_json`).
"""

import time

import httpx
import orjson

from contract import SlackChannel
from sinks.notify.http_post import post_json
from sinks.notify.notice import Notice
from sinks.notify.redact import protect
from sinks.notify.render import render_slack
from sinks.notify.retry import RetryPolicy, Sleep


class SlackSender:
    """Delivers notices to :class:`contract.SlackChannel` webhooks.

    Args:
        client: a shared ``httpx.Client``.
        user_agent: the ``User-Agent`` header.
        policy: retries and delays (Slack channels have no settings of their own).
        timeout: seconds per attempt.
        sleep: waits between attempts; may raise to abandon the delivery.
    """

    def __init__(
        self,
        client: httpx.Client,
        user_agent: str,
        *,
        policy: RetryPolicy | None = None,
        timeout: float = 10.0,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.client = client
        self.user_agent = user_agent
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.sleep = sleep

    def send(self, notice: Notice, channel: SlackChannel) -> int:
        """POST the rendered ``notice``; return the attempts made.

        Raises:
            SendFailed: refused or retries exhausted (the message never holds the URL).
        """
        url = channel.url.get_secret_value()
        protect(url)
        body = orjson.dumps(render_slack(notice))

        def headers(attempt: int) -> dict[str, str]:
            return {
                "Content-Type": "application/json",
                "User-Agent": self.user_agent,
                "X-Newsmon-Alert-Id": notice.id,
                "X-Newsmon-Delivery-Attempt": str(attempt),
            }

        return post_json(
            self.client,
            url,
            body,
            headers,
            timeout=self.timeout,
            policy=self.policy,
            label="slack webhook",
            sleep=self.sleep,
        )
