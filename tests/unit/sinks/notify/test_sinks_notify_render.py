"""Rendering: what an alert says in text, HTML and Slack, and that nothing is left unescaped."""

import math
from collections.abc import Callable
from datetime import UTC, datetime

from contract import Alert, AlertArticle, ClauseMatch, SpikeNumbers, Subscription
from sinks.notify import Notice
from sinks.notify.render import (
    SLACK_MAX_BLOCKS,
    clause_line,
    render_html,
    render_slack,
    render_text,
    subject,
)

EVIL = '<script>alert("x")</script>'


def test_text_explains_why_it_matched(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    text = render_text(Notice.single(make_subscription(), make_alert()))
    assert "Ceasefire talks resume (story-1)" in text
    assert "https://example.com/news/story-1" in text
    assert "Example News · 2024-05-24 09:30 UTC" in text
    assert "✓ ceasefire: ceasefire" in text
    assert "✓ NOT topics:sport (absent)" in text
    assert "Topic ceasefire (0.90): “Both sides agreed a ceasefire.”" in text
    assert "Entities: Vladimir Putin, NATO" in text


def test_times_are_shown_in_the_subscribers_zone(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    sub = make_subscription(mode="digest", digest={"at": "08:00", "tz": "Europe/London"})
    assert "2024-05-24 10:30 BST" in render_text(Notice.single(sub, make_alert()))


def test_clause_marks() -> None:
    failed = ClauseMatch(clause="topics:war", field="topics", negated=False, matched=False)
    violated = ClauseMatch(
        clause="NOT source:tabloid", field="source", negated=True, matched=False, hits=["tabloid"]
    )
    kept = ClauseMatch(clause="NOT source:tabloid", field="source", negated=True, matched=True)
    assert clause_line(failed) == "✗ topics:war"
    assert clause_line(violated) == "✗ NOT source:tabloid: tabloid"
    assert clause_line(kept) == "✓ NOT source:tabloid (absent)"


def test_updates_show_the_copies_and_sources(
    make_alert: Callable[..., Alert],
    make_update: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    alert = make_update(make_update(make_alert(), "Wire A"), "Wire B")
    text = render_text(Notice.single(make_subscription(), alert))
    assert "3 copies from sources Example News, Wire A, Wire B" in text


def test_spike_numbers(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    start = datetime(2024, 5, 24, 9, 0, tzinfo=UTC)
    spike = SpikeNumbers(
        window_start=start,
        window_end=start.replace(hour=10),
        stories=12,
        articles=30,
        baseline=[1, 2, 3],
        baseline_mean=2.0,
        factor=6.0,
        threshold_factor=3.0,
        min_count=5,
    )
    alert = make_alert(kind="spike", spike=spike, article=None, latest=None, clauses=[])
    text = render_text(Notice.single(make_subscription(), alert))
    assert "Spike: ceasefire AND -topics:sport" in text
    assert "12 stories (30 articles)" in text
    assert "baseline mean 2.0 over 3 day(s); x6.0 (threshold x3.0, at least 5)" in text
    inf = make_alert(kind="spike", spike=spike.model_copy(update={"factor": math.inf}))
    assert "x∞" in render_text(Notice.single(make_subscription(), inf))
    top = make_alert(
        kind="spike", spike=spike, article_ids=["a", "b"], sources=["Wire A", "Wire B"]
    )
    top_text = render_text(Notice.single(make_subscription(), top))
    assert "Top stories from Wire A, Wire B" in top_text
    assert "copies" not in top_text  # a spike's articles are different stories


def test_html_escapes_everything(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    article = AlertArticle(
        id="x", url='https://example.com/?a=1&b="2"', title=EVIL, source="<b>src</b>"
    )
    clause = ClauseMatch(clause=EVIL, field="text", negated=False, matched=True, hits=[EVIL])
    alert = make_alert(article=article, clauses=[clause], entities=[EVIL])
    page = render_html(Notice.single(make_subscription(name="<i>sub</i>"), alert))
    assert "<script>" not in page
    assert "<b>src" not in page and "<i>sub" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'href="https://example.com/?a=1&amp;b=&quot;2&quot;"' in page


def test_slack_links_the_title_and_escapes_markup(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    article = AlertArticle(id="x", url="https://example.com/a?b=1&c=2", title="A <b> & c")
    message = render_slack(Notice.single(make_subscription(), make_alert(article=article)))
    body = message["blocks"][1]["text"]["text"]
    assert body.startswith("*<https://example.com/a?b=1&amp;c=2|A &lt;b&gt; &amp; c>*")
    assert "✓ ceasefire: ceasefire" in body
    assert message["text"] == "[newsmon] Ceasefire watch: A &lt;b&gt; &amp; c"


def test_digests_list_every_item(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    alerts = [make_alert(f"story-{i}") for i in range(40)]
    notice = Notice.digest(make_subscription(), alerts)
    assert subject(notice) == "[newsmon] Ceasefire watch: 40 alert(s)"
    slack = str(render_slack(notice)["blocks"])
    text, page = render_text(notice), render_html(notice)
    for i in range(40):
        title = f"Ceasefire talks resume (story-{i})"
        assert title in text and title in page and title in slack


def test_a_huge_slack_digest_stays_within_limits_and_says_what_it_left_out(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    alerts = [make_alert(f"story-{i}", subscription_name="x" * 10) for i in range(2000)]
    blocks = render_slack(Notice.digest(make_subscription(), alerts))["blocks"]
    assert len(blocks) <= SLACK_MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    shown = sum(b["text"]["text"].count("Ceasefire talks") for b in blocks[1:-1])
    note = blocks[-1]["elements"][0]["text"]
    assert note == f"…and {2000 - shown} more alert(s) not shown here"


def test_a_replayed_alert_says_so_in_every_rendering(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    notice = Notice.single(make_subscription(), make_alert().model_copy(update={"replayed": True}))
    assert subject(notice).startswith("[newsmon] [replayed] ")
    assert "Replayed from history" in render_text(notice)
    assert "Replayed from history" in render_html(notice)
    assert "Replayed from history" in str(render_slack(notice))
    live = Notice.single(make_subscription(), make_alert())
    assert "replayed" not in subject(live).lower() and "Replayed" not in render_text(live)
