"""Helpers for the notifier tests: alert/subscription builders, a settable clock, a fake sender.

The real loopback receivers (HTTP endpoint, SMTP server) are shared with the integration and
end-to-end tests in ``tests/receivers.py``.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from contract import (
    Alert,
    AlertArticle,
    ClauseMatch,
    EmailChannel,
    Evidence,
    Subscription,
    TopicMatch,
    WebhookChannel,
    alert_id,
)
from sinks.notify import Notice, SendFailed

T0 = datetime(2024, 5, 24, 10, 0, tzinfo=UTC)
SECRET = "s3cret-hmac-key"


def build_alert(story: str = "story-1", **overrides: Any) -> Alert:
    """A valid match alert for subscription ``sub-1`` (any field can be overridden)."""
    sub = overrides.pop("subscription_id", "sub-1")
    article = AlertArticle(
        id=f"a-{story}",
        url=f"https://example.com/news/{story}",
        title=f"Ceasefire talks resume ({story})",
        source="Example News",
        published=datetime(2024, 5, 24, 9, 30, tzinfo=UTC),
    )
    fields: dict[str, Any] = {
        "alert_id": alert_id(sub, story),
        "subscription_id": sub,
        "subscription_name": "Ceasefire watch",
        "owner": "desk@example.com",
        "query": "ceasefire AND -topics:sport",
        "story_id": story,
        "article": article,
        "latest": article,
        "article_ids": [article.id],
        "sources": ["Example News"],
        "clauses": [
            ClauseMatch(
                clause="ceasefire",
                field="title,text",
                negated=False,
                matched=True,
                hits=["ceasefire"],
            ),
            ClauseMatch(clause="NOT topics:sport", field="topics", negated=True, matched=True),
        ],
        "topics": [
            TopicMatch(
                topic="ceasefire",
                score=0.9,
                evidence=[
                    Evidence(
                        rule="r1", sentence="Both sides agreed a ceasefire.", terms=["ceasefire"]
                    )
                ],
            )
        ],
        "entities": ["Vladimir Putin", "NATO"],
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(overrides)
    return Alert(**fields)


def build_update(alert: Alert, source: str = "Other Wire") -> Alert:
    """The next version of ``alert``: one more copy of the story, from ``source``."""
    return alert.model_copy(
        update={
            "version": alert.version + 1,
            "article_ids": [*alert.article_ids, f"copy-{alert.version + 1}"],
            "sources": [*alert.sources, source],
        }
    )


def build_subscription(**overrides: Any) -> Subscription:
    """An enabled immediate subscription ``sub-1`` with a webhook and an email channel."""
    fields: dict[str, Any] = {
        "id": "sub-1",
        "name": "Ceasefire watch",
        "owner": "desk@example.com",
        "query": "ceasefire AND -topics:sport",
        "channels": [
            WebhookChannel(url="https://hooks.example.com/in", secret=SECRET),
            EmailChannel(to=["desk@example.com"]),
        ],
    }
    fields.update(overrides)
    return Subscription(**fields)


class Clock:
    """A settable clock for the notifier."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class FakeSender:
    """Records every notice; fails (``SendFailed``) while ``failures`` > 0 or if ``permanent``."""

    sent: list[tuple[Notice, Any]] = field(default_factory=list)
    failures: int = 0
    permanent: bool = False

    def send(self, notice: Notice, channel: Any) -> int:
        if self.permanent:
            raise SendFailed("HTTP 410", 1, permanent=True)
        if self.failures > 0:
            self.failures -= 1
            raise SendFailed("HTTP 503", 3, permanent=False)
        self.sent.append((notice, channel))
        return 1
