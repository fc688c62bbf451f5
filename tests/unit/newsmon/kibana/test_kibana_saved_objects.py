"""deploy/kibana/newsmon.ndjson: parses, ids unique, references resolve, fields mapped."""

import json
from pathlib import Path
from typing import Any

import pytest

from contract import ConfigError
from newsmon.kibana.fields import fields_used, mapping_problems
from newsmon.kibana.saved_objects import (
    DEFAULT_FILE,
    SavedObject,
    dashboard_panels,
    problems,
    read_objects,
)
from sinks.elasticsearch.alerts import MAPPINGS as ALERT_MAPPINGS
from sinks.elasticsearch.feed_polls_mapping import FEED_POLLS_MAPPINGS
from sinks.elasticsearch.mapping import ANALYZER_CHOICES, index_template

REQUIRED_TOP_LEVEL = {"type", "id", "attributes", "references", "coreMigrationVersion"}


def _mappings() -> dict[str, Any]:
    """The data views' mappings as newsmon creates them: the articles index template (the one
    `newsmon setup` installs), the alerts index and the feed-polls index."""
    template = index_template("news-articles", ANALYZER_CHOICES[0][1])
    assert "news-articles-v*" in template["index_patterns"]
    return {
        "newsmon-articles": template["template"]["mappings"],
        "newsmon-alerts": ALERT_MAPPINGS,
        "newsmon-feed-polls": FEED_POLLS_MAPPINGS,
    }


@pytest.fixture(scope="module")
def objects() -> list[SavedObject]:
    return read_objects(DEFAULT_FILE)


def test_every_line_is_a_saved_object_with_unique_readable_id() -> None:
    lines = DEFAULT_FILE.read_text().splitlines()
    raw = [json.loads(line) for line in lines]
    assert all(set(obj) >= REQUIRED_TOP_LEVEL for obj in raw)
    ids = [obj["id"] for obj in raw]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("newsmon-") for i in ids)
    assert all(obj["typeMigrationVersion"] and obj["coreMigrationVersion"] for obj in raw)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_versions_suit_kibana_8_8_and_later() -> None:
    """Kibana refuses an object whose migration version is newer than its own last migration
    of that type, and migrates older ones up: nothing newer than 8.8.0 here, nothing older than
    8.0.0 (the multi-space conversion), Lens from 8.6.0 (its ``formBased`` state)."""
    for line in DEFAULT_FILE.read_text().splitlines():
        obj = json.loads(line)
        assert obj["coreMigrationVersion"] == "8.8.0"
        version = _version(obj["typeMigrationVersion"])
        assert (8, 0, 0) <= version <= (8, 8, 0), obj["id"]
        if obj["type"] == "lens":
            assert version >= (8, 6, 0)
            assert "formBased" in obj["attributes"]["state"]["datasourceStates"]


def test_references_resolve_inside_the_file(objects: list[SavedObject]) -> None:
    assert problems(objects) == []
    known = {(o.type, o.id) for o in objects}
    for obj in objects:
        assert all((r["type"], r["id"]) in known for r in obj.references), obj.id


def test_the_dashboard_shows_every_panel_and_the_data_views(objects: list[SavedObject]) -> None:
    by_type: dict[str, list[SavedObject]] = {}
    for obj in objects:
        by_type.setdefault(obj.type, []).append(obj)
    views = {o.id: o.attributes for o in by_type["index-pattern"]}
    assert views["newsmon-articles"]["title"] == "news-articles"
    assert views["newsmon-articles"]["timeFieldName"] == "published"
    assert views["newsmon-alerts"]["timeFieldName"] == "created_at"
    assert views["newsmon-feed-polls"]["timeFieldName"] == "polled_at"
    (dashboard,) = by_type["dashboard"]
    assert dashboard.title == "News monitor"
    shown = {p["reference"]["id"] for p in dashboard_panels(dashboard)}
    assert shown == {o.id for o in by_type["lens"] + by_type["search"]}
    lens_views = {r["id"] for o in by_type["lens"] for r in o.references}
    assert lens_views == set(views)  # every data view has a panel, alerts and feed polls too
    (search,) = by_type["search"]
    assert {"topics", "topic_details.evidence.sentence"} <= set(search.attributes["columns"])
    assert search.attributes["sort"] == [["published", "desc"]]


def test_panels_use_the_operations_asked_for(objects: list[SavedObject]) -> None:
    """Stories are a unique count of story_id; the split is by topic; the topic x country
    table has both as rows."""
    lens = {
        o.id: o.attributes["state"]["datasourceStates"]["formBased"]["layers"]
        for o in objects
        if o.type == "lens"
    }
    columns = {
        panel: {(c["operationType"], c.get("sourceField")) for c in layer["columns"].values()}
        for panel, layers in lens.items()
        for layer in layers.values()
    }
    assert ("unique_count", "story_id") in columns["newsmon-stories-by-topic"]
    assert ("terms", "topics") in columns["newsmon-stories-by-topic"]
    assert ("date_histogram", "published") in columns["newsmon-articles-by-topic"]
    assert {("terms", "topics"), ("terms", "countries")} <= columns["newsmon-topic-country"]
    assert ("terms", "subscription_id") in columns["newsmon-alerts-by-subscription"]
    assert ("terms", "feed") in columns["newsmon-feed-failures"]
    assert ("sum", "articles") in columns["newsmon-feed-articles"]


def test_every_field_used_is_mapped_and_aggregatable_where_aggregated(
    objects: list[SavedObject],
) -> None:
    uses = fields_used(objects)
    assert {u.field for u in uses} >= {"story_id", "topics", "countries", "status", "feed"}
    assert mapping_problems(uses, _mappings()) == []


def test_mapping_problems_names_text_nested_and_missing_fields() -> None:
    """The check can fail: aggregating a text field, a field inside a nested object, or a
    field the mapping lacks is each reported."""
    broken = next(o for o in read_objects() if o.id == "newsmon-top-sources")
    layer = broken.attributes["state"]["datasourceStates"]["formBased"]["layers"]["layer1"]
    for field, why in (
        ("title", "of type text"),
        ("topic_details.topic", "inside a nested object"),
        ("no_such_field", "not in the mapping"),
    ):
        layer["columns"]["source"]["sourceField"] = field
        found = mapping_problems(fields_used([broken]), _mappings())
        assert len(found) == 1 and why in found[0] and field in found[0], found
    layer["columns"]["source"]["sourceField"] = "title.raw"  # the keyword multi-field is fine
    assert mapping_problems(fields_used([broken]), _mappings()) == []


def _write(tmp_path: Path, objects: list[dict[str, Any]]) -> Path:
    path = tmp_path / "objects.ndjson"
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


def test_problems_finds_dangling_references_and_duplicate_ids(tmp_path: Path) -> None:
    view = {"type": "index-pattern", "id": "v", "attributes": {}, "references": []}
    lens = {
        "type": "lens",
        "id": "l",
        "attributes": {},
        "references": [{"type": "index-pattern", "id": "gone", "name": "x"}],
    }
    dashboard = {
        "type": "dashboard",
        "id": "v",
        "references": [],
        "attributes": {"panelsJSON": json.dumps([{"panelIndex": "1", "panelRefName": "panel_1"}])},
    }
    found = problems(read_objects(_write(tmp_path, [view, lens, dashboard])))
    assert any("index-pattern gone is not in the file" in p for p in found)
    assert any("id v is used twice" in p for p in found)
    assert any("no reference named '1:panel_1'" in p for p in found)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"type": "lens", "id": "x", "attributes": {}}', "'references' missing"),
    ],
)
def test_a_bad_line_is_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError, match=message) as caught:
        read_objects(path)
    assert f"{path}:1" in str(caught.value)
