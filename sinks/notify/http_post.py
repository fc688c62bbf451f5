"""POSTing a JSON body with retries: the transport shared by the webhook and Slack senders.

Connection errors, timeouts, HTTP 408, 429 and 5xx are retried; any other non-2xx status is
refused for good (redirects are not followed: a signed POST is not replayed elsewhere). Reasons
name the exception class or the status and are scrubbed of the URL, which may be a secret.
"""

from collections.abc import Callable, Mapping

import httpx

from contract import BlockedAddress, UnsupportedScheme
from sinks.notify.errors import SendFailed, scrub
from sinks.notify.retry import Refused, Retry, RetryPolicy, Sleep, with_retries

RETRYABLE_STATUS = frozenset({408, 429})

Headers = Callable[[int], Mapping[str, str]]


def host_label(url: str) -> str:
    """``host[:port]`` of ``url``, without user info, path or query (safe to log)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "(invalid URL)"
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def _url_parts(url: str) -> list[str]:
    """The URL and its path-and-query (where a webhook token lives), longest first."""
    target = httpx.URL(url).raw_path.decode()
    return [url, target] if len(target) > 1 else [url]


def post_json(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: Headers,
    *,
    timeout: float,
    policy: RetryPolicy,
    label: str,
    sleep: Sleep,
) -> int:
    """POST ``body`` to ``url`` until a 2xx; return the attempts made.

    Args:
        headers: the headers of attempt n (1-based), e.g. with ``X-Newsmon-Delivery-Attempt``.
        label: the destination for log lines and reasons, without any secret.

    Raises:
        SendFailed: an invalid URL or a non-retryable status (permanent), or retries
            exhausted; the reason never names the URL.
    """
    try:
        secrets = _url_parts(url)
    except httpx.InvalidURL:
        raise SendFailed(f"{label}: invalid URL", 0, permanent=True) from None

    def attempt(number: int) -> None:
        try:
            response = client.post(
                url, content=body, headers=dict(headers(number)), timeout=timeout
            )
        except httpx.TimeoutException as exc:
            raise Retry(f"{label}: timed out ({type(exc).__name__})") from None
        except httpx.UnsupportedProtocol:
            raise Refused(f"{label}: unsupported URL") from None
        except (BlockedAddress, UnsupportedScheme) as exc:  # the client's guard: not retried
            raise Refused(f"{label}: refused: {exc}") from None
        except httpx.TransportError as exc:
            reason = scrub(str(exc), *secrets)
            raise Retry(f"{label}: {type(exc).__name__}: {reason}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in RETRYABLE_STATUS or status >= 500:
            raise Retry(f"{label}: HTTP {status}")
        raise Refused(f"{label}: HTTP {status}")

    return with_retries(attempt, policy, sleep)
