"""Each dashboard panel as the Elasticsearch request behind it, and what it finds.

Lens builds its requests in the browser; this translates the parts newsmon's panels use, so a
panel can be run without Kibana (``newsmon kibana check``, and the tests against the real
cluster). Per layer: the data view's time field limited to the dashboard's time range, the
layer's Lucene query, one nested aggregation per bucketed column in ``columnOrder``
(``date_histogram``, ``terms``, ``filters``) and the metric columns (``count``,
``unique_count``, ``sum``, ``avg``, ``min``, ``max``) under each of them, as Lens orders terms
by a metric column. Anything else (KQL text, pinned filters, other operations) is refused by
name rather than translated loosely. A saved search becomes its sorted hits.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from elasticsearch import Elasticsearch

from contract import ConfigError
from newsmon.kibana.fields import data_view_id, lens_layers
from newsmon.kibana.saved_objects import SavedObject, dashboard_panels

METRICS = {"unique_count": "cardinality", "sum": "sum", "avg": "avg", "min": "min", "max": "max"}
CALENDAR_UNITS = frozenset("dwMqy")
AUTO_INTERVAL = "1d"  # Lens picks "auto" from the time range; a day suits the default 30 days
SEARCH_SIZE = 50
MIDNIGHT = "T00:00:00.000Z"  # day buckets are shown as their date


@dataclass(frozen=True)
class PanelQuery:
    """The request behind one panel (one Lens layer, or a saved search)."""

    panel_id: str
    title: str
    data_view: str
    index: str
    body: dict[str, Any]
    bucket_path: list[str] = field(default_factory=list)  # nested bucket aggregation names


@dataclass(frozen=True)
class PanelResult:
    """What a panel's query found: non-empty leaf buckets (hits for a saved search)."""

    query: PanelQuery
    buckets: int
    sample: list[str]


def _where(lens: SavedObject, layer_id: str) -> str:
    return f"lens {lens.id} layer {layer_id}"


def _query_clause(query: Mapping[str, Any], where: str) -> dict[str, Any] | None:
    text = str(query.get("query", "")).strip()
    if not text:
        return None
    if query.get("language") != "lucene":
        raise ConfigError(f"{where}: only Lucene query text is translated, not {text!r}")
    return {"query_string": {"query": text}}


def _interval(value: str) -> dict[str, str]:
    interval = AUTO_INTERVAL if value == "auto" else value
    if interval[-1] in CALENDAR_UNITS and interval[:-1] in ("", "1"):
        return {"calendar_interval": f"1{interval[-1]}"}
    return {"fixed_interval": interval}


def _metric_aggs(columns: Mapping[str, Any], where: str) -> dict[str, Any]:
    aggs = {}
    for column_id, column in columns.items():
        operation = column.get("operationType")
        if column.get("isBucketed") or operation == "count":
            continue
        if operation not in METRICS or column.get("filter"):
            raise ConfigError(f"{where}: column {column_id} ({operation}) is not translated")
        aggs[column_id] = {METRICS[operation]: {"field": column["sourceField"]}}
    return aggs


def _bucket_agg(
    column_id: str, column: Mapping[str, Any], columns: Mapping[str, Any], where: str
) -> dict[str, Any]:
    operation = column.get("operationType")
    params = column.get("params", {})
    if operation == "date_histogram":
        return {"date_histogram": {"field": column["sourceField"], **_interval(params["interval"])}}
    if operation == "filters":
        return {
            "filters": {
                "filters": {
                    f.get("label") or f["input"]["query"] or "*": _query_clause(f["input"], where)
                    or {"match_all": {}}
                    for f in params["filters"]
                }
            }
        }
    if operation != "terms":
        raise ConfigError(f"{where}: column {column_id} ({operation}) is not translated")
    direction = params.get("orderDirection", "desc")
    order_by = params.get("orderBy", {})
    if order_by.get("type") == "alphabetical":
        order = {"_key": direction}
    elif order_by.get("type") == "column":
        target = columns[order_by["columnId"]]
        key = "_count" if target.get("operationType") == "count" else order_by["columnId"]
        order = {key: direction}
    else:
        raise ConfigError(f"{where}: column {column_id} orders by {order_by}: not translated")
    return {"terms": {"field": column["sourceField"], "size": params["size"], "order": order}}


def lens_queries(
    lens: SavedObject,
    views: Mapping[str, SavedObject],
    indices: Mapping[str, str],
    time_range: tuple[str, str],
) -> list[PanelQuery]:
    """One request per layer of a Lens visualization.

    Args:
        lens: the ``lens`` saved object.
        views: the data views by id.
        indices: data view id -> index or alias to query (default: the data view's title).
        time_range: (from, to) in Elasticsearch date math, e.g. ("now-30d", "now").

    Raises:
        ConfigError: a reference is missing, or the layer uses something not translated.
    """
    state = lens.attributes.get("state", {})
    if state.get("filters"):
        raise ConfigError(f"lens {lens.id}: pinned filters are not translated")
    queries = []
    layers = lens_layers(lens)
    for layer_id, layer in layers.items():
        where = _where(lens, layer_id)
        view_id = data_view_id(lens, f"indexpattern-datasource-layer-{layer_id}")
        if view_id not in views:
            raise ConfigError(f"{where}: data view {view_id} is not in the file")
        view = views[view_id]
        time_field = view.attributes["timeFieldName"]
        clauses: list[dict[str, Any]] = [
            {"range": {time_field: {"gte": time_range[0], "lte": time_range[1]}}}
        ]
        if (clause := _query_clause(state.get("query", {}), where)) is not None:
            clauses.append(clause)
        columns = layer["columns"]
        metrics = _metric_aggs(columns, where)
        bucketed = [c for c in layer["columnOrder"] if columns[c].get("isBucketed")]
        aggs: dict[str, Any] = dict(metrics)
        for column_id in reversed(bucketed):
            agg = _bucket_agg(column_id, columns[column_id], columns, where)
            aggs = {column_id: {**agg, "aggs": {**metrics, **aggs}}}
        body = {"size": 0, "track_total_hits": True, "query": {"bool": {"filter": clauses}}}
        if aggs:
            body["aggs"] = aggs
        title = lens.title if len(layers) == 1 else f"{lens.title} ({layer_id})"
        index = indices.get(view_id, view.attributes["title"])
        queries.append(PanelQuery(lens.id, title, view_id, index, body, bucketed))
    return queries


def search_query(
    search: SavedObject,
    views: Mapping[str, SavedObject],
    indices: Mapping[str, str],
    time_range: tuple[str, str],
) -> PanelQuery:
    """A saved search as its newest hits, sorted as saved, with its columns."""
    view_id = data_view_id(search, "kibanaSavedObjectMeta.searchSourceJSON.index")
    view = views[view_id]
    source = orjson.loads(search.attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
    clauses: list[dict[str, Any]] = [
        {"range": {view.attributes["timeFieldName"]: {"gte": time_range[0], "lte": time_range[1]}}}
    ]
    if (clause := _query_clause(source.get("query", {}), f"search {search.id}")) is not None:
        clauses.append(clause)
    body = {
        "size": SEARCH_SIZE,
        "query": {"bool": {"filter": clauses}},
        "sort": [{name: {"order": order}} for name, order in search.attributes["sort"]],
        "_source": search.attributes["columns"],
    }
    index = indices.get(view_id, view.attributes["title"])
    return PanelQuery(search.id, search.title, view_id, index, body)


def dashboard_queries(
    objects: list[SavedObject],
    indices: Mapping[str, str] | None = None,
    dashboard_id: str = "newsmon-dashboard",
) -> list[PanelQuery]:
    """The request behind every panel of the dashboard, in its panel order, over its saved
    time range.

    Raises:
        ConfigError: no such dashboard, a panel's object is missing or not translatable.
    """
    by_key = {(o.type, o.id): o for o in objects}
    views = {o.id: o for o in objects if o.type == "index-pattern"}
    dashboard = by_key.get(("dashboard", dashboard_id))
    if dashboard is None:
        raise ConfigError(f"no dashboard {dashboard_id} in the file")
    time_range = (
        str(dashboard.attributes.get("timeFrom", "now-30d")),
        str(dashboard.attributes.get("timeTo", "now")),
    )
    queries: list[PanelQuery] = []
    for panel in dashboard_panels(dashboard):
        ref = panel["reference"]
        obj = by_key.get((ref["type"], ref["id"]))
        if obj is None:
            raise ConfigError(f"dashboard {dashboard_id}: panel {ref['id']} is not in the file")
        if obj.type == "lens":
            queries.extend(lens_queries(obj, views, indices or {}, time_range))
        elif obj.type == "search":
            queries.append(search_query(obj, views, indices or {}, time_range))
        else:
            raise ConfigError(f"dashboard {dashboard_id}: panel type {obj.type} not translated")
    return queries


def _leaves(aggs: Mapping[str, Any], path: list[str], prefix: str) -> list[str]:
    if not path:
        return [prefix]
    raw = aggs.get(path[0], {}).get("buckets", [])  # none: the index does not exist
    buckets = (
        raw.items()
        if isinstance(raw, dict)
        else ((str(b.get("key_as_string", b["key"])).removesuffix(MIDNIGHT), b) for b in raw)
    )
    found = []
    for key, bucket in buckets:
        if bucket["doc_count"] > 0:
            found.extend(_leaves(bucket, path[1:], f"{prefix} / {key}" if prefix else str(key)))
    return found


def read_result(query: PanelQuery, response: Mapping[str, Any]) -> PanelResult:
    """Count what a response to ``query`` holds: non-empty leaf buckets, or hits."""
    if not query.bucket_path:
        hits = response["hits"]["hits"]
        if "sort" in query.body:
            sample = [str(h["_source"].get(query.body["_source"][0], h["_id"])) for h in hits]
            return PanelResult(query, len(hits), sample[:3])
        total = response["hits"]["total"]["value"]
        return PanelResult(query, 1 if total else 0, [f"{total} document(s)"] if total else [])
    leaves = _leaves(response.get("aggregations", {}), query.bucket_path, "")
    return PanelResult(query, len(leaves), leaves[:3])


def run_query(es: Elasticsearch, query: PanelQuery) -> PanelResult:
    """Run ``query`` (an index that does not exist yet finds nothing, it is no error).

    Raises:
        elasticsearch.ApiError: the cluster refused the request (a field of the wrong type).
    """
    response = es.search(index=query.index, body=query.body, ignore_unavailable=True)
    return read_result(query, response.body)
