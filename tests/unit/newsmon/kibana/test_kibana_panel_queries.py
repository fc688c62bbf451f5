"""Lens layers and saved searches as Elasticsearch requests (the real cluster runs them in
tests/integration/test_integration_kibana.py)."""

import copy
from typing import Any

import pytest

from contract import ConfigError
from newsmon.kibana.panel_queries import PanelQuery, dashboard_queries, read_result
from newsmon.kibana.saved_objects import SavedObject, read_objects


@pytest.fixture
def objects() -> list[SavedObject]:
    return read_objects()


def _by_id(objects: list[SavedObject]) -> dict[str, PanelQuery]:
    return {q.panel_id: q for q in dashboard_queries(objects)}


def test_stories_by_topic_nests_terms_then_histogram_with_the_metric_at_each_level(
    objects: list[SavedObject],
) -> None:
    query = _by_id(objects)["newsmon-stories-by-topic"]
    assert query.index == "news-articles"
    assert query.body["query"]["bool"]["filter"] == [
        {"range": {"published": {"gte": "now-30d", "lte": "now"}}}
    ]
    topic = query.body["aggs"]["topic"]
    assert topic["terms"] == {"field": "topics", "size": 10, "order": {"stories": "desc"}}
    assert topic["aggs"]["stories"] == {"cardinality": {"field": "story_id"}}
    time = topic["aggs"]["time"]
    assert time["date_histogram"] == {"field": "published", "calendar_interval": "1d"}
    assert time["aggs"] == {"stories": {"cardinality": {"field": "story_id"}}}
    assert query.bucket_path == ["topic", "time"]


def test_count_orders_by_doc_count_and_queries_are_lucene(objects: list[SavedObject]) -> None:
    queries = _by_id(objects)
    assert queries["newsmon-top-sources"].body["aggs"]["source"]["terms"]["order"] == {
        "_count": "desc"
    }
    failures = queries["newsmon-feed-failures"].body["query"]["bool"]["filter"]
    assert {"query_string": {"query": "status:failed"}} in failures
    assert queries["newsmon-feed-failures"].index == "newsmon-feed-polls"


def test_indices_are_parameterised_per_data_view(objects: list[SavedObject]) -> None:
    indices = {"newsmon-articles": "a-1", "newsmon-alerts": "b-1"}
    for query in dashboard_queries(objects, indices):
        assert query.index == indices.get(query.data_view, "newsmon-feed-polls")


def test_the_saved_search_is_its_newest_hits(objects: list[SavedObject]) -> None:
    search = _by_id(objects)["newsmon-latest-articles"]
    assert search.body["sort"] == [{"published": {"order": "desc"}}]
    assert "topics" in search.body["_source"]
    response = {
        "hits": {
            "total": {"value": 2},
            "hits": [
                {"_id": "1", "_source": {"title": "First"}},
                {"_id": "2", "_source": {}},
            ],
        }
    }
    result = read_result(search, response)
    assert (result.buckets, result.sample) == (2, ["First", "2"])


def test_leaf_buckets_are_counted_only_when_non_empty(objects: list[SavedObject]) -> None:
    query = _by_id(objects)["newsmon-topic-country"]
    response: dict[str, Any] = {
        "aggregations": {
            "topic": {
                "buckets": [
                    {
                        "key": "ceasefire",
                        "doc_count": 3,
                        "country": {
                            "buckets": [
                                {"key": "Ukraine", "doc_count": 2},
                                {"key": "Russia", "doc_count": 0},
                            ]
                        },
                    },
                    {"key": "elections", "doc_count": 1, "country": {"buckets": []}},
                ]
            }
        }
    }
    result = read_result(query, response)
    assert (result.buckets, result.sample) == (1, ["ceasefire / Ukraine"])
    assert read_result(query, {"hits": {"hits": []}}).buckets == 0  # no index yet


def _lens(objects: list[SavedObject], panel: str) -> dict[str, Any]:
    obj = next(o for o in objects if o.id == panel)
    return obj.attributes  # mutated in place by the tests below


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda a: a["state"].update(query={"language": "kuery", "query": "source : x"}),
            "only Lucene",
        ),
        (lambda a: a["state"].update(filters=[{"meta": {}}]), "pinned filters"),
        (
            lambda a: a["state"]["datasourceStates"]["formBased"]["layers"]["layer1"]["columns"][
                "stories"
            ].update(operationType="percentile"),
            "stories \\(percentile\\)",
        ),
        (
            lambda a: a["state"]["datasourceStates"]["formBased"]["layers"]["layer1"]["columns"][
                "topic"
            ].update(operationType="range"),
            "topic \\(range\\)",
        ),
    ],
)
def test_what_is_not_translated_is_refused_by_name(
    objects: list[SavedObject], change: Any, message: str
) -> None:
    change(_lens(objects, "newsmon-stories-by-topic"))
    with pytest.raises(ConfigError, match=f"lens newsmon-stories-by-topic.*{message}"):
        dashboard_queries(objects)


def test_a_missing_dashboard_is_named(objects: list[SavedObject]) -> None:
    with pytest.raises(ConfigError, match="no dashboard nope"):
        dashboard_queries(copy.deepcopy(objects), dashboard_id="nope")


def filters_layer(objects: list[SavedObject]) -> list[SavedObject]:
    """The top-sources panel with its terms column turned into a Lens ``filters`` column."""
    attributes = _lens(objects, "newsmon-top-sources")
    column = attributes["state"]["datasourceStates"]["formBased"]["layers"]["layer1"]["columns"]
    column["source"].update(
        operationType="filters",
        sourceField=None,
        params={
            "filters": [
                {"label": "wires", "input": {"language": "lucene", "query": "source:Wire*"}},
                {"label": "", "input": {"language": "lucene", "query": ""}},
            ]
        },
    )
    return objects


def test_a_filters_column_becomes_a_filters_aggregation(objects: list[SavedObject]) -> None:
    query = _by_id(filters_layer(objects))["newsmon-top-sources"]
    assert query.body["aggs"]["source"]["filters"] == {
        "filters": {"wires": {"query_string": {"query": "source:Wire*"}}, "*": {"match_all": {}}}
    }
    response = {
        "aggregations": {"source": {"buckets": {"wires": {"doc_count": 2}, "*": {"doc_count": 5}}}}
    }
    assert read_result(query, response).sample == ["wires", "*"]
