"""Which fields the saved objects use, and whether an index mapping has them as Kibana needs.

Lens aggregates every column's ``sourceField`` (so it must be a keyword, number, date or boolean
outside a ``nested`` object); a data view's time field is aggregated by every date histogram
and a saved search sorts by its sort fields; a saved search's columns only need to exist.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from newsmon.kibana.saved_objects import SavedObject

AGGREGATABLE = frozenset(
    {
        "keyword",
        "boolean",
        "date",
        "date_nanos",
        "ip",
        "byte",
        "short",
        "integer",
        "long",
        "unsigned_long",
        "float",
        "half_float",
        "double",
        "scaled_float",
        "constant_keyword",
    }
)
RECORDS = "___records___"  # Lens's "count of records": no field
_LUCENE_FIELD = re.compile(r"(?<![\w.\\])([A-Za-z_][\w.]*):")


@dataclass(frozen=True)
class FieldUse:
    """One use of one field by one saved object."""

    object_id: str
    data_view: str
    field: str
    aggregated: bool


def data_view_id(obj: SavedObject, ref_name: str) -> str:
    """The data view an object's reference ``ref_name`` points to."""
    return obj.reference(ref_name)["id"]


def lens_layers(lens: SavedObject) -> dict[str, dict[str, Any]]:
    """A Lens visualization's form-based layers, by layer id."""
    states = lens.attributes.get("state", {}).get("datasourceStates", {})
    layers = (states.get("formBased") or states.get("indexpattern") or {}).get("layers", {})
    return dict(layers)


def query_fields(query: Mapping[str, Any]) -> list[str]:
    """Field names a Lucene query string names (``status:failed`` -> ``status``)."""
    return _LUCENE_FIELD.findall(str(query.get("query", "")))


def fields_used(objects: list[SavedObject]) -> list[FieldUse]:
    """Every field every data view, Lens panel and saved search of the file uses."""
    uses = []
    for obj in objects:
        if obj.type == "index-pattern" and obj.attributes.get("timeFieldName"):
            uses.append(FieldUse(obj.id, obj.id, obj.attributes["timeFieldName"], True))
        elif obj.type == "lens":
            query = obj.attributes.get("state", {}).get("query", {})
            for layer_id, layer in lens_layers(obj).items():
                view = data_view_id(obj, f"indexpattern-datasource-layer-{layer_id}")
                for column in layer.get("columns", {}).values():
                    field = column.get("sourceField")
                    if field and field != RECORDS:
                        uses.append(FieldUse(obj.id, view, field, True))
                uses.extend(FieldUse(obj.id, view, f, False) for f in query_fields(query))
        elif obj.type == "search":
            view = data_view_id(obj, "kibanaSavedObjectMeta.searchSourceJSON.index")
            uses.extend(FieldUse(obj.id, view, f, False) for f in obj.attributes["columns"])
            uses.extend(FieldUse(obj.id, view, s[0], True) for s in obj.attributes["sort"])
            source = orjson.loads(obj.attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
            uses.extend(FieldUse(obj.id, view, f, False) for f in query_fields(source["query"]))
    return uses


def field_mapping(mappings: Mapping[str, Any], path: str) -> tuple[dict[str, Any], bool] | None:
    """The mapping of dotted ``path`` (object properties and multi-fields such as
    ``title.raw``) and whether it lies inside a ``nested`` object; None when unmapped."""
    node: Mapping[str, Any] = mappings
    nested = False
    parts = path.split(".")
    for i, part in enumerate(parts):
        children = node.get("properties") or {}
        if part not in children and i > 0:
            children = node.get("fields") or {}
        if part not in children:
            return None
        node = children[part]
        if node.get("type") == "nested" and i < len(parts) - 1:
            nested = True
    return dict(node), nested


def mapping_problems(uses: list[FieldUse], mappings: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Uses whose field is not in its data view's mapping, or is aggregated but cannot be.

    Args:
        uses: from :func:`fields_used`.
        mappings: data view id -> the index mapping (with ``properties``) it reads.
    """
    found = []
    for use in uses:
        where = f"{use.object_id}: {use.field} ({use.data_view})"
        if use.data_view not in mappings:
            found.append(f"{where}: no mapping given for the data view")
            continue
        mapped = field_mapping(mappings[use.data_view], use.field)
        if mapped is None:
            found.append(f"{where}: not in the mapping")
            continue
        spec, nested = mapped
        if use.aggregated and (spec.get("type") not in AGGREGATABLE or nested):
            kind = "inside a nested object" if nested else f"of type {spec.get('type', 'object')}"
            found.append(f"{where}: aggregated but {kind}")
    return found
