"""Webhook and Slack delivery against a real loopback HTTP server: signatures checked on the
server side, retries on 5xx/429/timeouts, permanent 4xx, exhaustion, and no secret in errors."""

from collections.abc import Callable, Iterator

import httpx
import orjson
import pytest
from notify_support import SECRET, Clock
from receivers import HookServer

from contract import Alert, ErrorEnvelope, SlackChannel, Subscription, WebhookChannel
from sinks.notify import (
    DeliveryFailed,
    DeliveryLog,
    Notice,
    Notifier,
    RetryPolicy,
    Senders,
    SendFailed,
    SlackSender,
    WebhookSender,
    verify_signature,
)

SLACK_PATH = "/services/T0001/B0002/XXXXslacktokenXXXX"
FAST = RetryPolicy(retries=2, backoff=0.01, cap=0.05)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def _webhook(server: HookServer, retries: int = 3, timeout: float = 5.0) -> WebhookChannel:
    return WebhookChannel(url=server.url("/hook"), secret=SECRET, timeout=timeout, retries=retries)


def _sender(client: httpx.Client, delays: list[float] | None = None) -> WebhookSender:
    sleep = delays.append if delays is not None else (lambda _s: None)
    return WebhookSender(client, "newsmon-test/1", backoff=0.01, sleep=sleep)


def test_the_receiver_can_verify_what_it_got(
    hook_server: HookServer,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    alert = make_alert()
    assert (
        _sender(client).send(Notice.single(make_subscription(), alert), _webhook(hook_server)) == 1
    )
    [got] = hook_server.requests
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert verify_signature(SECRET, got.body, headers["x-newsmon-signature"])
    assert not verify_signature("wrong", got.body, headers["x-newsmon-signature"])
    assert headers["x-newsmon-alert-id"] == alert.alert_id
    assert headers["x-newsmon-delivery-attempt"] == "1"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "newsmon-test/1"
    body = orjson.loads(got.body)
    assert (body["event"], body["alert_id"], body["version"]) == ("alert", alert.alert_id, 1)


def test_500_then_200_is_delivered_on_the_second_attempt(
    hook_server: HookServer,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    hook_server.script = [500, 429]
    delays: list[float] = []
    notice = Notice.single(make_subscription(), make_alert())
    assert _sender(client, delays).send(notice, _webhook(hook_server)) == 3
    attempts = [r.headers["X-Newsmon-Delivery-Attempt"] for r in hook_server.requests]
    assert attempts == ["1", "2", "3"]
    assert len({r.body for r in hook_server.requests}) == 1  # the same signed bytes each time
    assert 0.01 <= delays[0] <= 0.011 and 0.02 <= delays[1] <= 0.022  # doubling, small jitter


def test_exhausted_retries_raise_a_typed_error(
    hook_server: HookServer,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    hook_server.default = 503
    with pytest.raises(SendFailed) as failed:
        _sender(client).send(
            Notice.single(make_subscription(), make_alert()), _webhook(hook_server, 2)
        )
    assert (failed.value.attempts, failed.value.permanent) == (3, False)
    assert "HTTP 503" in str(failed.value)
    assert len(hook_server.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_client_errors_are_permanent(
    status: int,
    hook_server: HookServer,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    hook_server.default = status
    with pytest.raises(SendFailed) as failed:
        _sender(client).send(
            Notice.single(make_subscription(), make_alert()), _webhook(hook_server)
        )
    assert (failed.value.attempts, failed.value.permanent) == (1, True)
    assert len(hook_server.requests) == 1


def test_timeouts_are_retried(
    hook_server: HookServer,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    hook_server.delay = 0.5
    with pytest.raises(SendFailed, match="timed out") as failed:
        _sender(client).send(
            Notice.single(make_subscription(), make_alert()), _webhook(hook_server, 1, timeout=0.1)
        )
    assert failed.value.attempts == 2


def test_a_refused_connection_is_retried_and_names_no_secret(
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    server = HookServer()
    url = server.url("/hook?token=sekrit-query")
    server.close()  # nothing listens there any more
    channel = WebhookChannel(url=url, secret=SECRET, retries=1)
    with pytest.raises(SendFailed) as failed:
        _sender(client).send(Notice.single(make_subscription(), make_alert()), channel)
    assert failed.value.attempts == 2 and "ConnectError" in str(failed.value)
    assert "sekrit" not in str(failed.value) and SECRET not in str(failed.value)


def test_slack_gets_text_and_blocks(
    hook_server: HookServer,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    sender = SlackSender(client, "newsmon-test/1", policy=FAST, sleep=lambda _s: None)
    alert = make_alert()
    channel = SlackChannel(url=hook_server.url(SLACK_PATH))
    assert sender.send(Notice.single(make_subscription(), alert), channel) == 1
    [got] = hook_server.requests
    assert got.path == SLACK_PATH
    body = orjson.loads(got.body)
    assert body["text"] == "[newsmon] Ceasefire watch: Ceasefire talks resume (story-1)"
    assert "<https://example.com/news/story-1|" in body["blocks"][1]["text"]["text"]


def test_a_failing_delivery_leaks_no_secret_into_errors_logs_or_dead_letters(
    hook_server: HookServer,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook_server.default = 500
    slack_url = hook_server.url(SLACK_PATH)
    sub = make_subscription(
        channels=[_webhook(hook_server, retries=1), SlackChannel(url=slack_url)]
    )
    no_wait = lambda _s: None  # noqa: E731
    senders = Senders(
        webhook=WebhookSender(client, "t", backoff=0.01, sleep=no_wait),
        slack=SlackSender(client, "t", policy=FAST, sleep=no_wait),
    )
    dead: list[DeliveryFailed] = []
    log = DeliveryLog(":memory:")
    notifier = Notifier(
        log, senders, {sub.id: sub}.get, Clock(), dead_letter=lambda _a, e: dead.append(e)
    )
    with caplog.at_level("DEBUG"):
        outcomes = notifier.handle(make_alert())
    assert [o.status for o in outcomes] == ["dead", "dead"]
    envelopes = [
        ErrorEnvelope.wrap("sinks.notify", e, "news.alerts", b"{}", e.delivery_id).to_json()
        for e in dead
    ]
    stored = [d.detail for d in log.deliveries(make_alert().alert_id).values()]
    for text in [caplog.text, *map(str, dead), *map(bytes.decode, envelopes), *stored]:
        assert SECRET not in text
        assert SLACK_PATH not in text and "slacktoken" not in text
    assert "HTTP 500" in str(dead[1]) and "slack webhook" in str(dead[1])
    assert "0:webhook" in str(dead[0]) and "1:slack" in str(dead[1])
    log.close()


@pytest.mark.parametrize("url", ["http://[::1", "http://"])
def test_an_unusable_url_is_a_permanent_failure_not_a_crash(
    url: str,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    channel = WebhookChannel(url=url, secret=SECRET)
    with pytest.raises(SendFailed) as failed:
        _sender(client).send(Notice.single(make_subscription(), make_alert()), channel)
    assert failed.value.permanent and failed.value.attempts <= 1


def test_a_webhook_on_an_internal_address_is_refused_for_good(
    hook_server: HookServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    """The notifier's client (newsmon's address guard) refuses loopback: permanent, not
    retried, nothing reaches the receiver."""
    from contract import AddressPolicy
    from newsmon.http_client import guarded_client

    notice = Notice.single(make_subscription(), make_alert())
    with guarded_client(AddressPolicy(), timeout=5) as guarded, pytest.raises(SendFailed) as failed:
        _sender(guarded).send(notice, _webhook(hook_server))
    assert (failed.value.attempts, failed.value.permanent) == (1, True)
    assert "127.0.0.1 is a loopback address" in str(failed.value)
    assert hook_server.requests == []
