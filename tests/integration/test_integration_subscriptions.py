"""Subscriptions, backtests and alerts through ``newsmon subscriptions`` and the HTTP API,
against the real test stack (articles on Elasticsearch, subscriptions on the percolator node)."""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from local_stack import AppConfig

from contract import Article, Subscription, TopicMatch, article_id
from newsmon.api import create_app
from newsmon.settings import Settings
from sinks.backtest import SAMPLES
from sinks.documents import percolate_document, to_document
from sinks.elasticsearch.alerts import AlertStore
from sinks.elasticsearch.backtest import backtest
from sinks.elasticsearch.index import ensure_index
from sinks.matches import Match

SECRET = "s3cret-do-not-show"
QUERY = "topics:ceasefire"


def _add(config: AppConfig, sub_id: str, *extra: str) -> CompletedProcess[str]:
    return config.newsmon(
        "subscriptions", "add", "--id", sub_id, "--owner", "desk", "--query", QUERY, *extra
    )


def _wide(config: AppConfig) -> AppConfig:
    """The same configuration in a wide terminal, so rich tables are not cut short."""
    return AppConfig({**config.env, "COLUMNS": "200"})


def _json(result: CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def config(app_config: Callable[..., AppConfig]) -> AppConfig:
    return app_config()


# --- articles for backtests ----------------------------------------------------------------


def _article(n: int, day: date, story: str | None, **overrides: Any) -> Article:
    url = f"https://example.com/world/{n}"
    fields: dict[str, Any] = {
        "id": article_id(url),
        "url": url,
        "title": f"Ceasefire talks, report {n}",
        "text": "Mediators said the parties agreed to a truce.",
        "source": f"feed-{n % 3}",
        "published": datetime.combine(day, time(6), tzinfo=UTC),
        "fetched_at": datetime.combine(day, time(6, 5), tzinfo=UTC),
        "story_id": story,
        "topics": [TopicMatch(topic="ceasefire", score=2.0, evidence=[])],
    }
    fields.update(overrides)
    return Article(**fields)


@pytest.fixture
def history(es: Elasticsearch, config: AppConfig) -> dict[date, tuple[int, int]]:
    """Articles over the last days in the config's alias; returns day -> (articles, stories)
    that ``topics:ceasefire`` must find over the last 7 days."""
    today = datetime.now(UTC).date()

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    articles = [
        # yesterday: story a in three feeds, story b once -> 4 articles, 2 stories
        _article(1, ago(1), "story-a"),
        _article(2, ago(1), "story-a"),
        _article(3, ago(1), "story-a"),
        _article(4, ago(1), "story-b"),
        # 2 days ago: story c twice, and an undated copy of story d (dated by fetched_at)
        _article(5, ago(2), "story-c"),
        _article(6, ago(2), "story-c"),
        _article(7, ago(2), "story-d", published=None),
        # 4 days ago: an unclustered article (a story of its own) and an earlier copy of story
        # a (a story in two rows is one story in the totals)
        _article(8, ago(4), None),
        _article(9, ago(4), "story-a"),
        # the window's first minute, and the minute before it
        _article(13, ago(6), "story-h", published=datetime.combine(ago(6), time(0, 1), UTC)),
        _article(14, ago(7), "story-i", published=datetime.combine(ago(7), time(23, 59), UTC)),
        # outside the window, or not matching
        _article(10, ago(10), "story-e"),
        _article(11, ago(10), "story-f", fetched_at=datetime.combine(ago(1), time(7), UTC)),
        _article(
            12, ago(1), "story-g", topics=[TopicMatch(topic="elections", score=2.0, evidence=[])]
        ),
    ]
    alias = config.env["NEWSMON_INDEX_ALIAS"]
    ensure_index(es, alias)
    operations: list[dict[str, Any]] = []
    for a in articles:
        operations += [
            {"index": {"_index": alias, "_id": a.id}},
            to_document(a, a.fetched_at.isoformat()),
        ]
    response = es.bulk(operations=operations, refresh=True)
    assert not response["errors"], response
    return {ago(1): (4, 2), ago(2): (3, 2), ago(4): (2, 2), ago(6): (1, 1)}


def _expected_days(history: dict[date, tuple[int, int]]) -> list[dict[str, Any]]:
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=k) for k in range(6, -1, -1)]
    return [
        {
            "day": d.isoformat(),
            "articles": history.get(d, (0, 0))[0],
            "stories": history.get(d, (0, 0))[1],
        }
        for d in days
    ]


def _rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = result["per_day"]
    return rows


# --- the CLI -------------------------------------------------------------------------------


def test_add_list_show_remove(config: AppConfig) -> None:
    added = _add(
        config,
        "desk-ceasefire",
        "--name",
        "Ceasefires",
        "--webhook",
        "https://hooks.example.com/desk",
        "--secret",
        SECRET,
        "--email",
        "desk@example.com",
        "--digest",
        "daily@08:00",
        "--tz",
        "Europe/Paris",
        "--quiet",
        "22:00-07:00",
        "--cap",
        "20",
    )
    assert added.returncode == 0, added.stderr
    assert "added subscription desk-ceasefire" in added.stdout
    _add(config, "other", "--kafka-topic", "alerts.other", "--owner", "ops")

    listed = _json(config.newsmon("subscriptions", "list", "--json"))
    assert [s["id"] for s in listed] == ["desk-ceasefire", "other"]
    assert [
        s["id"] for s in _json(config.newsmon("subscriptions", "list", "--owner", "desk", "--json"))
    ] == ["desk-ceasefire"]
    table = _wide(config).newsmon("subscriptions", "list")
    assert table.returncode == 0, table.stderr
    assert "desk-ceasefire" in table.stdout and "webhook, email" in table.stdout
    assert SECRET not in table.stdout

    shown = config.newsmon("subscriptions", "show", "desk-ceasefire", "--json")
    assert SECRET not in shown.stdout
    sub = _json(shown)
    assert sub["name"] == "Ceasefires"
    assert sub["mode"] == "digest"
    assert sub["digest"] == {"every": "daily", "at": "08:00", "tz": "Europe/Paris"}
    assert sub["quiet_hours"] == {"start": "22:00", "end": "07:00", "tz": "Europe/Paris"}
    assert sub["daily_cap"] == 20
    assert sub["channels"][0]["secret"] == "**********"
    assert sub["channels"][1] == {"type": "email", "to": ["desk@example.com"]}
    plain = config.newsmon("subscriptions", "show", "desk-ceasefire")
    assert plain.returncode == 0 and "query: topics:ceasefire" in plain.stdout
    assert SECRET not in plain.stdout

    removed = config.newsmon("subscriptions", "remove", "desk-ceasefire")
    assert removed.returncode == 0, removed.stderr
    assert [s["id"] for s in _json(config.newsmon("subscriptions", "list", "--json"))] == ["other"]
    for command in ("show", "remove"):
        gone = config.newsmon("subscriptions", command, "desk-ceasefire")
        assert gone.returncode == 1
        assert "error: no subscription 'desk-ceasefire'" in gone.stderr


def test_add_refuses_an_existing_id_unless_replace(
    config: AppConfig, percolator: Elasticsearch
) -> None:
    assert _add(config, "desk", "--kafka-topic", "a").returncode == 0
    again = _add(config, "desk", "--kafka-topic", "b")
    assert again.returncode == 1
    assert "subscription 'desk' exists" in again.stderr and "--replace" in again.stderr
    first = _json(config.newsmon("subscriptions", "show", "desk", "--json"))
    assert first["channels"] == [{"type": "kafka", "topic": "a"}]

    replaced = _add(config, "desk", "--kafka-topic", "b", "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert "replaced subscription desk" in replaced.stdout
    second = _json(config.newsmon("subscriptions", "show", "desk", "--json"))
    assert second["channels"] == [{"type": "kafka", "topic": "b"}]
    assert second["created_at"] == first["created_at"]
    # The percolator holds the new query document under the same id.
    stored = percolator.get(index=config.env["NEWSMON_SUBSCRIPTIONS_INDEX"], id="desk")
    assert stored["_source"]["query"]["query_string"]["query"] == QUERY


def test_add_from_a_yaml_file(config: AppConfig, tmp_path: Path) -> None:
    path = tmp_path / "spike.yaml"
    path.write_text(
        "id: putin-spike\nname: Putin spikes\nowner: ops\n"
        "query: 'entities:\"Vladimir Putin\"'\nkind: spike\n"
        "spike: {window_minutes: 30, factor: 4}\n"
        "channels:\n  - {type: slack, url: 'https://hooks.slack.example/T0/B0/xyz'}\n"
    )
    added = config.newsmon("subscriptions", "add", "--file", str(path))
    assert added.returncode == 0, added.stderr
    shown = config.newsmon("subscriptions", "show", "putin-spike", "--json")
    assert "xyz" not in shown.stdout
    sub = _json(shown)
    assert (sub["kind"], sub["owner"], sub["query"]) == (
        "spike",
        "ops",
        'entities:"Vladimir Putin"',
    )
    assert sub["spike"] == {"window_minutes": 30, "baseline_days": 7, "factor": 4.0, "min_count": 5}
    assert sub["channels"] == [{"type": "slack", "url": "**********"}]


def test_bad_query_is_refused_with_the_parsers_message(config: AppConfig) -> None:
    result = config.newsmon(
        "subscriptions",
        "add",
        "--id",
        "bad",
        "--owner",
        "desk",
        "--query",
        "title:(ceasefire AND",
        "--kafka-topic",
        "t",
    )
    assert result.returncode == 1
    assert "error: invalid query 'title:(ceasefire AND': Cannot parse" in result.stderr
    assert _json(config.newsmon("subscriptions", "list", "--json")) == []


def test_unknown_fields_are_refused(config: AppConfig, tmp_path: Path) -> None:
    in_query = config.newsmon(
        "subscriptions",
        "add",
        "--id",
        "bad",
        "--owner",
        "desk",
        "--query",
        "byline:smith",
        "--kafka-topic",
        "t",
    )
    assert in_query.returncode == 1
    assert "unknown field 'byline'" in in_query.stderr

    path = tmp_path / "typo.json"
    path.write_text(
        json.dumps(
            {
                "id": "typo",
                "name": "typo",
                "owner": "desk",
                "query": QUERY,
                "channels": [{"type": "kafka", "topic": "t"}],
                "quiet_hour": {"start": "22:00", "end": "07:00"},
            }
        )
    )
    in_file = config.newsmon("subscriptions", "add", "--file", str(path))
    assert in_file.returncode == 1
    assert "quiet_hour: Extra inputs are not permitted" in in_file.stderr
    assert _json(config.newsmon("subscriptions", "list", "--json")) == []


# --- backtests -----------------------------------------------------------------------------


def test_backtest_counts_articles_and_stories_per_day(
    es: Elasticsearch, config: AppConfig, history: dict[date, tuple[int, int]]
) -> None:
    result = backtest(es, config.env["NEWSMON_INDEX_ALIAS"], QUERY, 7, datetime.now(UTC))
    assert result.model_dump(mode="json")["per_day"] == _expected_days(history)
    # Ten articles; stories a, b, c, d, h and the unclustered article.
    assert (result.articles, result.stories, result.stories_exact) == (10, 6, True)
    assert len({s.story_id or s.id for s in result.samples}) == len(result.samples) == SAMPLES
    assert all(s.title.startswith("Ceasefire talks") for s in result.samples)


def test_backtest_via_the_cli(config: AppConfig, history: dict[date, tuple[int, int]]) -> None:
    assert _add(config, "desk", "--kafka-topic", "t").returncode == 0
    by_id = _json(config.newsmon("subscriptions", "test", "desk", "--days", "7", "--json"))
    assert _rows(by_id) == _expected_days(history)
    assert (by_id["articles"], by_id["stories"]) == (10, 6)

    by_query = _json(config.newsmon("subscriptions", "test", "--query", QUERY, "--json"))
    assert _rows(by_query) == _rows(by_id)
    narrower = _json(
        config.newsmon(
            "subscriptions",
            "test",
            "--query",
            f"{QUERY} AND story_id:story-a",
            "--days",
            "2",
            "--json",
        )
    )
    assert (narrower["articles"], narrower["stories"]) == (3, 1)

    table = _wide(config).newsmon("subscriptions", "test", "desk")
    assert table.returncode == 0, table.stderr
    assert "would have alerted on 6 stories (10 articles)" in table.stdout
    assert "Ceasefire talks, report" in table.stdout

    bad = config.newsmon("subscriptions", "test", "--query", "title:(ceasefire AND")
    assert bad.returncode == 1
    assert "Cannot parse" in bad.stderr
    unknown = config.newsmon("subscriptions", "test", "nope")
    assert unknown.returncode == 1 and "no subscription 'nope'" in unknown.stderr


# --- the HTTP API --------------------------------------------------------------------------


@pytest.fixture
def client(config: AppConfig) -> TestClient:
    return TestClient(create_app(config.settings))


def _body(sub_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": sub_id,
        "name": sub_id,
        "owner": "desk",
        "query": QUERY,
        "channels": [{"type": "webhook", "url": "https://hooks.example.com/x", "secret": SECRET}],
        **overrides,
    }


def test_api_crud(client: TestClient) -> None:
    created = client.post("/subscriptions", json=_body("api-desk"))
    assert created.status_code == 201, created.text
    assert created.json()["channels"][0]["secret"] == "**********"
    assert SECRET not in created.text
    assert client.post("/subscriptions", json=_body("api-ops", owner="ops")).status_code == 201

    assert [s["id"] for s in client.get("/subscriptions").json()] == ["api-desk", "api-ops"]
    assert [s["id"] for s in client.get("/subscriptions", params={"owner": "ops"}).json()] == [
        "api-ops"
    ]
    one = client.get("/subscriptions/api-desk")
    assert one.status_code == 200 and one.json()["query"] == QUERY
    assert SECRET not in client.get("/subscriptions").text + one.text

    conflict = client.post("/subscriptions", json=_body("api-desk", name="again"))
    assert conflict.status_code == 409
    assert "replace=true" in conflict.json()["detail"]
    replaced = client.post(
        "/subscriptions", params={"replace": "true"}, json=_body("api-desk", name="again")
    )
    assert replaced.status_code == 201
    assert client.get("/subscriptions/api-desk").json()["name"] == "again"

    assert client.delete("/subscriptions/api-desk").status_code == 204
    assert client.get("/subscriptions/api-desk").status_code == 404
    assert client.delete("/subscriptions/api-desk").status_code == 404
    assert client.get("/subscriptions/api-desk/test").status_code == 404


def test_api_refuses_bad_queries_and_fields(client: TestClient) -> None:
    bad = client.post("/subscriptions", json=_body("bad", query="title:(ceasefire AND"))
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("Cannot parse 'title:(ceasefire AND'")
    unknown = client.post("/subscriptions", json=_body("bad", query="byline:smith"))
    assert unknown.status_code == 400 and "unknown field 'byline'" in unknown.json()["detail"]
    typo = client.post("/subscriptions", json=_body("bad", quiet_hour={"start": "22:00"}))
    assert typo.status_code == 422
    assert typo.json()["detail"][0]["loc"] == ["quiet_hour"]
    tested = client.post("/subscriptions/test", json={"query": "title:(ceasefire AND"})
    assert tested.status_code == 400 and "Cannot parse" in tested.json()["detail"]
    assert client.get("/subscriptions").json() == []


def test_api_backtests(client: TestClient, history: dict[date, tuple[int, int]]) -> None:
    assert client.post("/subscriptions", json=_body("api-desk")).status_code == 201
    stored = client.get("/subscriptions/api-desk/test", params={"days": 7})
    assert stored.status_code == 200, stored.text
    assert _rows(stored.json()) == _expected_days(history)
    assert (stored.json()["articles"], stored.json()["stories"]) == (10, 6)
    ad_hoc = client.post("/subscriptions/test", json={"query": QUERY, "days": 7})
    assert ad_hoc.status_code == 200
    assert _rows(ad_hoc.json()) == _expected_days(history)
    assert client.get("/subscriptions/api-desk/test", params={"days": 0}).status_code == 422


def test_api_lists_alerts(client: TestClient, config: AppConfig, percolator: Elasticsearch) -> None:
    settings: Settings = config.settings
    store = AlertStore(percolator, settings.alerts_index)
    store.setup()
    now = datetime.now(UTC)
    subs = [
        Subscription.model_validate(_body("api-desk")),
        Subscription.model_validate(_body("api-ops", owner="ops")),
    ]
    articles = [_article(n, now.date(), f"story-{n}") for n in range(3)]
    matches = [
        Match(sub, article, percolate_document(article))
        for sub, article in [(subs[0], articles[0]), (subs[0], articles[1]), (subs[1], articles[2])]
    ]
    alerts = store.record(matches, now)
    percolator.indices.refresh(index=settings.alerts_index)

    every = client.get("/alerts")
    assert every.status_code == 200, every.text
    assert {a["alert_id"] for a in every.json()} == {a.alert_id for a in alerts}
    desk = client.get("/alerts", params={"subscription_id": "api-desk"}).json()
    assert sorted(a["story_id"] for a in desk) == ["story-0", "story-1"]
    assert [
        a["subscription_id"] for a in client.get("/alerts", params={"owner": "ops"}).json()
    ] == ["api-ops"]
    assert len(client.get("/alerts", params={"limit": 1}).json()) == 1
    later = (now + timedelta(minutes=1)).isoformat()
    assert client.get("/alerts", params={"since": later}).json() == []
    assert client.get("/alerts", params={"limit": 501}).status_code == 422


def test_api_documents_its_paths(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/healthz",
        "/subscriptions",
        "/subscriptions/test",
        "/subscriptions/{sub_id}",
        "/subscriptions/{sub_id}/test",
        "/alerts",
        "/metrics",
    }
    assert {"Subscription", "Backtest", "Alert"} <= set(spec["components"]["schemas"])
    get_one = spec["paths"]["/subscriptions/{sub_id}"]["get"]["responses"]
    assert get_one["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Subscription")
    assert set(get_one) >= {"200", "404"}
    assert client.get("/healthz").json()["status"] == "ok"


def test_api_says_when_elasticsearch_is_unreachable(config: AppConfig) -> None:
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    settings = config.settings.model_copy(update={"es_url": closed, "percolator_url": closed})
    client = TestClient(create_app(settings))
    for path in ("/subscriptions", "/alerts", "/healthz"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "Elasticsearch is unreachable" in response.json()["detail"]
