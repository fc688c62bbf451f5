"""Reading ``deploy/kibana/newsmon.ndjson`` and checking that it holds together.

The file is a Kibana 8.x saved-objects export: one JSON object per line, each with ``type``,
``id``, ``attributes`` and ``references``. A dashboard names its panels in ``panelsJSON`` by
``panelRefName``; the matching reference (``<panelIndex>:<panelRefName>``) gives the object.
Kibana refuses an import whose references point outside the file and the target space, so the
checks here catch a broken file before Kibana does.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from contract import ConfigError

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "deploy" / "kibana" / "newsmon.ndjson"


@dataclass(frozen=True)
class SavedObject:
    """One saved object of the file."""

    type: str
    id: str
    attributes: dict[str, Any]
    references: list[dict[str, str]]

    @property
    def title(self) -> str:
        """The object's title as Kibana shows it."""
        return str(self.attributes.get("title") or self.attributes.get("name") or self.id)

    def reference(self, name: str) -> dict[str, str]:
        """The reference called ``name``.

        Raises:
            ConfigError: the object has no such reference.
        """
        for ref in self.references:
            if ref.get("name") == name:
                return ref
        raise ConfigError(f"{self.type} {self.id}: no reference named {name!r}")


def read_objects(path: Path = DEFAULT_FILE) -> list[SavedObject]:
    """Every object of the ndjson file ``path``, in order.

    Raises:
        ConfigError: unreadable file, a line that is not a JSON object, or one without
            ``type``/``id``/``attributes``/``references`` of the right kinds.
    """
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    objects = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not JSON ({exc})") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: not a JSON object")
        for key, kind in (("type", str), ("id", str), ("attributes", dict), ("references", list)):
            if not isinstance(raw.get(key), kind):
                raise ConfigError(f"{where}: {key!r} missing or not a {kind.__name__}")
        objects.append(SavedObject(raw["type"], raw["id"], raw["attributes"], raw["references"]))
    if not objects:
        raise ConfigError(f"{path}: no saved objects")
    return objects


def dashboard_panels(dashboard: SavedObject) -> list[dict[str, Any]]:
    """The panels of a dashboard (its ``panelsJSON``), each with the reference it names.

    Raises:
        ConfigError: ``panelsJSON`` is not a JSON list, or a panel names a missing reference.
    """
    try:
        panels = orjson.loads(dashboard.attributes.get("panelsJSON", "[]"))
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"dashboard {dashboard.id}: panelsJSON is not JSON ({exc})") from exc
    if not isinstance(panels, list):
        raise ConfigError(f"dashboard {dashboard.id}: panelsJSON is not a list")
    resolved = []
    for panel in panels:
        name = f"{panel.get('panelIndex')}:{panel.get('panelRefName')}"
        resolved.append({**panel, "reference": dashboard.reference(name)})
    return resolved


def problems(objects: list[SavedObject]) -> list[str]:
    """What is wrong with the file as a whole: duplicate ids, references (the objects' own and
    the dashboards' panels) that resolve to nothing inside it. Empty when it holds together."""
    found: list[str] = []
    known = {(obj.type, obj.id) for obj in objects}
    ids = [obj.id for obj in objects]
    found.extend(f"id {i} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1}))
    for obj in objects:
        for ref in obj.references:
            if (ref.get("type", ""), ref.get("id", "")) not in known:
                found.append(
                    f"{obj.type} {obj.id}: reference {ref.get('name')} -> "
                    f"{ref.get('type')} {ref.get('id')} is not in the file"
                )
        if obj.type == "dashboard":
            try:
                dashboard_panels(obj)
            except ConfigError as exc:
                found.append(str(exc))
    return found
