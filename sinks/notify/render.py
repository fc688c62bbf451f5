"""Human-readable alerts and digests: plain text, HTML and Slack mrkdwn blocks.

Every format shows the same facts (:class:`Facts`): title and link, source and time (in the
subscription's zone), why it matched (each clause with ✓/✗ and its hits), topics with one
evidence sentence, entities, "N copies from sources ..." once a story has several copies, and
the numbers behind a spike, or a feed failing or quiet. HTML escapes every value; Slack
escapes ``& < >`` as its docs ask.
"""

import html
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from contract import Alert, ClauseMatch, FeedHealthNumbers
from sinks.notify.notice import Notice

SLACK_SECTION_CHARS = 2900  # Slack refuses section text over 3000 characters
SLACK_MAX_BLOCKS = 50
SLACK_FULL_ITEMS = 15  # digests longer than this list items compactly, one line each


@dataclass(frozen=True)
class Facts:
    """What one alert says, as unescaped strings (``lines`` are the 'why' details)."""

    title: str
    url: str
    source: str
    when: str
    lines: tuple[str, ...]


def clause_line(clause: ClauseMatch) -> str:
    """``✓ entities:"X": X`` / ``✓ NOT topics:sport (absent)``: did the clause do its part?

    As :func:`sinks.lucene.clauses.explain` builds them: ``clause`` is written as in the query
    (``NOT`` included), ``matched`` says whether the article satisfied it, and ``hits`` what the
    article has of it (for a NOT clause, what violated it).
    """
    hits = f": {', '.join(clause.hits)}" if clause.hits else ""
    absent = " (absent)" if clause.negated and clause.matched else ""
    return f"{'✓' if clause.matched else '✗'} {clause.clause}{hits}{absent}"


def _when(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _number(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.1f}"


def feed_health_facts(numbers: FeedHealthNumbers, tz: str) -> Facts:
    """A feed failing or quiet: the feed, why (with its numbers) and its recent days."""
    lines = [numbers.why]
    if numbers.per_day:
        days = ", ".join(str(n) for n in numbers.per_day)
        lines.append(
            f"Articles per day, oldest first: {days} (usually {numbers.usual_per_day:g}/day)"
        )
    return Facts(
        title=f"Feed {numbers.health}: {numbers.feed}",
        url=numbers.url,
        source=numbers.feed,
        when=_when(numbers.since, tz),
        lines=tuple(lines),
    )


def facts(alert: Alert, tz: str) -> Facts:
    """The facts of ``alert``, times shown in ``tz``."""
    if alert.feed_health is not None:
        return feed_health_facts(alert.feed_health, tz)
    article = alert.article or alert.latest
    title = (article.title if article else "") or (
        f"Spike: {alert.query}" if alert.kind == "spike" else alert.story_id or alert.alert_id
    )
    published = article.published if article and article.published else alert.created_at
    lines: list[str] = []
    if alert.replayed:
        lines.append("Replayed from history (newsmon replay --alerts), not live news")
    sources = ", ".join(dict.fromkeys(alert.sources)) or "unknown sources"
    if alert.kind == "spike" and alert.article_ids:
        # a spike's article_ids are the window's top stories, one article each
        lines.append(f"Top stories from {sources}")
    elif len(alert.article_ids) > 1:
        lines.append(f"{len(alert.article_ids)} copies from sources {sources}")
    if alert.spike is not None:
        s = alert.spike
        lines.append(
            f"Spike: {s.stories} stories ({s.articles} articles) "
            f"{_when(s.window_start, tz)} to {_when(s.window_end, tz)}; baseline mean "
            f"{_number(s.baseline_mean)} over {len(s.baseline)} day(s); x{_number(s.factor)} "
            f"(threshold x{_number(s.threshold_factor)}, at least {s.min_count})"
        )
    if alert.clauses:
        lines.append(f"Why it matched ({alert.query}):" if alert.query else "Why it matched:")
        lines.extend(f"  {clause_line(c)}" for c in alert.clauses)
    for topic in alert.topics:
        evidence = f": “{topic.evidence[0].sentence}”" if topic.evidence else ""
        lines.append(f"Topic {topic.topic} ({topic.score:.2f}){evidence}")
    if alert.entities:
        lines.append("Entities: " + ", ".join(alert.entities))
    return Facts(
        title=title,
        url=article.url if article else "",
        source=article.source if article else ", ".join(alert.sources),
        when=_when(published, tz),
        lines=tuple(lines),
    )


def subject(notice: Notice) -> str:
    """A one-line summary: the email subject and Slack's notification text."""
    name = notice.subscription.name
    if notice.event == "digest":
        head = f"[newsmon] {name}: {len(notice.alerts)} alert(s)"
    else:
        replayed = "[replayed] " if notice.alerts[0].replayed else ""
        title = facts(notice.alerts[0], notice.subscription.tz).title
        head = f"[newsmon] {replayed}{name}: {title}"
    return " ".join(head.split())


def render_text(notice: Notice) -> str:
    """The plain-text body (all items of a digest)."""
    blocks = []
    for alert in notice.alerts:
        f = facts(alert, notice.subscription.tz)
        head = [f.title, f.url, f"{f.source} · {f.when}" if f.source else f.when]
        blocks.append("\n".join([line for line in head if line] + list(f.lines)))
    footer = f"Subscription {notice.subscription.id} · id {notice.id}"
    return "\n\n".join([subject(notice), *blocks, footer]) + "\n"


def render_html(notice: Notice) -> str:
    """The HTML body (all items of a digest); every value is escaped."""
    e = html.escape
    items = []
    for alert in notice.alerts:
        f = facts(alert, notice.subscription.tz)
        title = f'<a href="{e(f.url)}">{e(f.title)}</a>' if f.url else e(f.title)
        meta = e(f"{f.source} · {f.when}" if f.source else f.when)
        details = "".join(f"<li>{e(line.strip())}</li>" for line in f.lines)
        items.append(f"<h3>{title}</h3><p>{meta}</p><ul>{details}</ul>")
    footer = e(f"Subscription {notice.subscription.id} · id {notice.id}")
    return (
        f"<!doctype html><html><body><h2>{e(subject(notice))}</h2>{'<hr>'.join(items)}"
        f"<p><small>{footer}</small></p></body></html>"
    )


def slack_escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_item(alert: Alert, tz: str, full: bool) -> str:
    f = facts(alert, tz)
    title = slack_escape(f.title).replace("|", "¦")
    link = f"<{slack_escape(f.url)}|{title}>" if f.url else title
    meta = slack_escape(f"{f.source} · {f.when}" if f.source else f.when)
    lines = [f"*{link}*", meta]
    if full:
        lines.extend(slack_escape(line) for line in f.lines)
    return "\n".join(lines)


def render_slack(notice: Notice) -> dict[str, Any]:
    """``{"text": ..., "blocks": [...]}`` for an incoming webhook; digests list every item.

    Items are packed into section blocks under Slack's size limits; a digest too big even for
    one-line items says how many did not fit (they are in the alert index and the email).
    """
    tz = notice.subscription.tz
    full = len(notice.alerts) <= SLACK_FULL_ITEMS
    sections: list[tuple[str, int]] = []  # (mrkdwn, alerts in it)
    for alert in notice.alerts:
        text = _slack_item(alert, tz, full)[:SLACK_SECTION_CHARS]
        if not full and sections and len(sections[-1][0]) + len(text) + 2 <= SLACK_SECTION_CHARS:
            sections[-1] = (f"{sections[-1][0]}\n\n{text}", sections[-1][1] + 1)
        else:
            sections.append((text, 1))
    summary = slack_escape(subject(notice))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": summary}}
    ]
    room = SLACK_MAX_BLOCKS - 2
    for text, _ in sections[:room]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if len(sections) > room:
        note = f"…and {sum(n for _, n in sections[room:])} more alert(s) not shown here"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return {"text": summary, "blocks": blocks}
