"""The page over an embedded store, through the app (no browser): feed text is escaped,
evidence is marked, a bad search or form is an inline error, and /docs needs no CDN."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from contract import Alert, Article, Evidence, TopicMatch
from contract.alert import FeedHealthNumbers
from newsmon.api import create_app
from newsmon.settings import Settings
from sinks.sqlite.alerts import SqliteAlertStore
from sinks.sqlite.articles import SqliteArticleStore

HOSTILE = '<script>alert("x")</script> Ceasefire talks'


@pytest.fixture
def client(tmp_path: Path, make_article: Callable[..., Article]) -> TestClient:
    now = datetime.now(UTC)
    article = make_article(
        title=HOSTILE,
        text="Both sides agreed to a ceasefire in Kyiv.",
        published=now,
        fetched_at=now,
        topics=[
            TopicMatch(
                topic="ceasefire",
                score=2.0,
                evidence=[
                    Evidence(
                        rule="r", sentence="Both sides agreed to a ceasefire.", terms=["ceasefire"]
                    )
                ],
            )
        ],
    )
    settings = Settings(data_dir=tmp_path, mode="embedded")
    store = SqliteArticleStore(settings.articles_db)
    bad_link = make_article(
        url="javascript:alert(1)", title="A feed's bad link", published=now, fetched_at=now
    )
    store.write_batch([article, bad_link])
    store.close()
    return TestClient(create_app(settings))


def test_feed_text_is_escaped_and_evidence_marked(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Ceasefire talks" in page.text
    assert "Both sides agreed to a <mark>ceasefire</mark>." in page.text
    assert 'id="volume-chart"' in page.text
    assert "<polyline" in page.text
    assert "A feed&#39;s bad link" in page.text
    assert "javascript:" not in page.text


def test_a_bad_query_is_the_cli_message_inline(client: TestClient) -> None:
    page = client.get("/", params={"q": "topics:(("})
    assert page.status_code == 400
    assert 'id="search-error">error: invalid query &#39;topics:((&#39;:' in page.text


def test_a_search_lists_its_hits(client: TestClient) -> None:
    page = client.get("/", params={"q": "topics:ceasefire"})
    assert page.status_code == 200
    assert "1 article(s) match" in page.text


def test_a_form_error_names_the_field(client: TestClient) -> None:
    page = client.post(
        "/web/subscriptions",
        data={"id": "Bad Id!", "name": "x", "owner": "web", "query": "kyiv", "days": "7"},
    )
    assert page.status_code == 400
    assert 'id="form-error">error: invalid subscription: id:' in page.text


def test_docs_load_swagger_ui_from_here(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/redoc").status_code == 404


def test_a_webhook_is_checked_as_the_cli_checks_it(client: TestClient) -> None:
    fields = {"id": "hook", "name": "x", "owner": "web", "query": "kyiv", "days": "7"}
    no_secret = client.post(
        "/web/subscriptions", data={**fields, "channel": "webhook", "webhook_url": "http://a.b/"}
    )
    assert "error: webhook: give its URL and a secret" in no_secret.text
    private = client.post(
        "/web/subscriptions",
        data={
            **fields,
            "channel": "webhook",
            "webhook_url": "http://127.0.0.1:9/hook",
            "secret": "s3cret",
        },
    )
    assert private.status_code == 400
    assert "error: invalid subscription: channels.0 (webhook):" in private.text
    assert "NEWSMON_ALLOW_PRIVATE_NETWORKS=true" in private.text
    assert "s3cret" not in private.text  # never echoed back


def test_created_then_removed(client: TestClient) -> None:
    created = client.post(
        "/web/subscriptions",
        data={"id": "kyiv", "name": "Kyiv", "owner": "web", "query": "kyiv", "days": "2"},
    )
    assert created.status_code == 200
    assert "subscription &#39;kyiv&#39; created" in created.text
    assert '<b class="count">1</b> article(s)' in created.text
    again = client.post(
        "/web/subscriptions",
        data={"id": "kyiv", "name": "Kyiv", "owner": "web", "query": "kyiv", "days": "2"},
    )
    assert "error: subscription &#39;kyiv&#39; exists (owner web): remove it first" in again.text
    removed = client.post("/web/subscriptions/kyiv/remove")
    assert "subscription &#39;kyiv&#39; removed" in removed.text
    assert client.post("/web/subscriptions/kyiv/remove").status_code == 400


def test_a_feed_health_alert_shows_its_feed_and_why(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, mode="embedded")
    now = datetime.now(UTC)
    alerts = SqliteAlertStore(settings.alerts_db)
    alerts.setup()
    alerts.create(
        Alert(
            alert_id="a" * 32,
            kind="feed-health",
            subscription_id="ops",
            subscription_name="Feed operators",
            sources=["Harbour <Post>"],
            feed_health=FeedHealthNumbers(
                feed="Harbour <Post>",
                url="http://127.0.0.1:9/feed.xml",
                health="failing",
                why="failing for 7h: HTTP 503",
                since=now,
                last_day=0,
                usual_per_day=12.0,
            ),
        )
    )
    alerts.close()
    page = TestClient(create_app(settings)).get("/")
    assert page.status_code == 200
    assert '<span class="tag">feed-health</span>' in page.text
    assert "<b>Harbour &lt;Post&gt;</b> failing: failing for 7h: HTTP 503" in page.text


FORM = {"id": "kyiv", "name": "Kyiv", "owner": "web", "query": "kyiv", "days": "2"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:9999"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_a_write_from_another_origin_is_refused(
    client: TestClient, headers: dict[str, str]
) -> None:
    page = client.post("/web/subscriptions", data=FORM, headers=headers)
    assert page.status_code == 403
    assert page.json()["detail"].startswith("refused:")
    posted = client.post(
        "/subscriptions",
        content=b"id: x\nowner: o\nquery: kyiv\nchannels: [{type: console}]\n",
        headers={"Content-Type": "text/plain", **headers},
    )
    assert posted.status_code == 403
    assert client.delete("/subscriptions/x", headers=headers).status_code == 403
    assert "kyiv" not in client.get("/subscriptions").text


def test_a_write_from_the_page_itself_is_taken(client: TestClient) -> None:
    same = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    page = client.post("/web/subscriptions", data=FORM, headers=same)
    assert page.status_code == 200
    assert "subscription &#39;kyiv&#39; created" in page.text
