"""Signed webhook delivery: POST the canonical JSON with an HMAC-SHA256 of exactly those bytes.

Headers: ``X-Newsmon-Signature: sha256=<hex>``, ``X-Newsmon-Alert-Id`` (alert or digest id, for
the receiver's dedup), ``X-Newsmon-Event``, ``X-Newsmon-Delivery-Attempt``, ``User-Agent`` and
``Content-Type: application/json``. Receivers check the signature with :func:`verify_signature`
(or the same three lines of their own).
"""

import hashlib
import hmac
import time

import httpx

from contract import WebhookChannel
from sinks.notify.http_post import host_label, post_json
from sinks.notify.notice import Notice
from sinks.notify.payload import payload_bytes
from sinks.notify.retry import RetryPolicy, Sleep

SIGNATURE_HEADER = "X-Newsmon-Signature"


def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of ``body`` keyed by ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (constant-time)."""
    if not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


class WebhookSender:
    """Delivers notices to :class:`contract.WebhookChannel` endpoints.

    Args:
        client: a shared ``httpx.Client`` (connection pooling); redirects are not followed.
        user_agent: the ``User-Agent`` header.
        backoff: first retry delay in seconds (doubles; capped at ``cap``).
        cap: the longest single delay.
        sleep: waits between attempts; may raise to abandon the delivery.
    """

    def __init__(
        self,
        client: httpx.Client,
        user_agent: str,
        *,
        backoff: float = 1.0,
        cap: float = 60.0,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.client = client
        self.user_agent = user_agent
        self.backoff = backoff
        self.cap = cap
        self.sleep = sleep

    def send(self, notice: Notice, channel: WebhookChannel) -> int:
        """POST ``notice``; return the attempts made.

        Raises:
            SendFailed: refused (4xx other than 408/429) or retries exhausted.
        """
        body = payload_bytes(notice)
        signature = sign(channel.secret.get_secret_value(), body)

        def headers(attempt: int) -> dict[str, str]:
            return {
                "Content-Type": "application/json",
                "User-Agent": self.user_agent,
                SIGNATURE_HEADER: signature,
                "X-Newsmon-Alert-Id": notice.id,
                "X-Newsmon-Event": notice.event,
                "X-Newsmon-Delivery-Attempt": str(attempt),
            }

        return post_json(
            self.client,
            channel.url,
            body,
            headers,
            timeout=channel.timeout,
            policy=RetryPolicy(channel.retries, self.backoff, self.cap),
            label=f"webhook {host_label(channel.url)}",
            sleep=self.sleep,
        )
