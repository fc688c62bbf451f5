"""Email delivery to a real SMTP server (aiosmtpd): one multipart message per alert or digest."""

from collections.abc import Callable

import pytest
from receivers import MailServer

from contract import Alert, AlertArticle, EmailChannel, Subscription
from sinks.notify import EmailSender, Notice, RetryPolicy, SendFailed, SmtpConfig

TO = EmailChannel(to=["desk@example.com", "night@example.com"])


def _sender(server: MailServer) -> EmailSender:
    config = SmtpConfig(host="127.0.0.1", port=server.port, sender="alerts@newsmon.test")
    return EmailSender(config, policy=RetryPolicy(retries=2, backoff=0.01), sleep=lambda _s: None)


def test_one_alert_is_one_message_with_text_and_html(
    smtp_server: MailServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    article = AlertArticle(id="x", url="https://example.com/x", title="<script>x</script> talks")
    alert = make_alert(article=article)
    assert _sender(smtp_server).send(Notice.single(make_subscription(), alert), TO) == 1
    [(recipients, msg)] = smtp_server.handler.messages
    assert recipients == TO.to
    assert msg["Message-ID"] == f"<{alert.alert_id}@newsmon>"
    assert msg["X-Newsmon-Alert-Id"] == alert.alert_id
    assert msg["From"] == "alerts@newsmon.test"
    assert msg["Subject"] == "[newsmon] Ceasefire watch: <script>x</script> talks"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",))
    page = msg.get_body(("html",))
    assert text is not None and page is not None
    assert "✓ ceasefire: ceasefire" in text.get_content()
    assert "&lt;script&gt;x&lt;/script&gt; talks" in page.get_content()
    assert "<script>" not in page.get_content()


def test_a_digest_is_one_message_listing_every_item_with_a_stable_id(
    smtp_server: MailServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    alerts = [make_alert(f"story-{i}") for i in range(5)]
    notice = Notice.digest(make_subscription(), alerts)
    sender = _sender(smtp_server)
    sender.send(notice, TO)
    sender.send(Notice.digest(make_subscription(), reversed(alerts)), TO)  # a resend
    first, again = (msg for _, msg in smtp_server.handler.messages)
    assert first["Message-ID"] == again["Message-ID"] == f"<{notice.id}@newsmon>"
    assert first["Subject"] == "[newsmon] Ceasefire watch: 5 alert(s)"
    body = first.get_body(("plain",))
    assert body is not None
    for i in range(5):
        assert f"Ceasefire talks resume (story-{i})" in body.get_content()


def test_a_temporary_refusal_is_retried(
    smtp_server: MailServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    smtp_server.handler.defer_data = 1
    assert _sender(smtp_server).send(Notice.single(make_subscription(), make_alert()), TO) == 2
    assert len(smtp_server.handler.messages) == 1


def test_refused_recipients_are_permanent(
    smtp_server: MailServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    smtp_server.handler.refuse = set(TO.to)
    with pytest.raises(SendFailed) as failed:
        _sender(smtp_server).send(Notice.single(make_subscription(), make_alert()), TO)
    assert (failed.value.permanent, failed.value.attempts) == (True, 1)
    assert smtp_server.handler.messages == []


def test_one_refused_recipient_does_not_stop_the_others(
    smtp_server: MailServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    smtp_server.handler.refuse = {"night@example.com"}
    _sender(smtp_server).send(Notice.single(make_subscription(), make_alert()), TO)
    [(recipients, _)] = smtp_server.handler.messages
    assert recipients == ["desk@example.com"]
