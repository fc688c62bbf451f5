"""The feeds file: which feeds to poll and how often, from YAML or OPML."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import yaml

from contract import ConfigError
from ingest.demo_dates import parse_anchor

DEFAULT_INTERVAL = 900.0
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_INTERVAL_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.IGNORECASE)
_REMOTE_SCHEMES = ("http", "https", "file")
FulltextMode = Literal["auto", "always", "never"]
FULLTEXT_MODES: tuple[str, ...] = get_args(FulltextMode)


@dataclass(frozen=True)
class FeedSpec:
    """One feed to poll.

    Attributes:
        name: the source name put on every article (``Article.source``).
        url: an http(s) or ``file://`` URL, or an absolute local path.
        interval: seconds between polls.
        fulltext: whether the full-text stage fetches each article's page: ``auto`` (when the
            feed's text is short), ``always``, ``never``; None: the setting's default.
        mirror: a local directory the feed's article pages are read from instead of the web
            (the URL's path + ``.html``): offline demos, saved sites, tests.
        shift_dates_from: a sample feed's newest moment: its dates are moved forward by whole
            days so that moment falls in the last 24 hours (see :mod:`ingest.demo_dates`).
    """

    name: str
    url: str
    interval: float = DEFAULT_INTERVAL
    fulltext: FulltextMode | None = None
    mirror: str | None = None
    shift_dates_from: datetime | None = None


def parse_interval(value: object) -> float:
    """Seconds from a number or a string such as ``"30s"``, ``"15m"``, ``"1h"``, ``"1h30m"``.

    Raises:
        ValueError: the value is not a positive duration.
        TypeError: the value is neither a number nor a string.
    """
    if isinstance(value, bool):
        raise TypeError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = _INTERVAL_RE.findall(text)
        if not text or "".join(n + u for n, u in parts).lower() != text.lower():
            raise ValueError(f"not a duration: {value!r} (use seconds or e.g. 30s, 15m, 1h)")
        seconds = sum(float(n) * _UNITS[u.lower() or "s"] for n, u in parts)
    else:
        raise TypeError(f"not a duration: {value!r}")
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"interval must be positive, got {value!r}")
    return seconds


def load_feeds(path: Path) -> list[FeedSpec]:
    """Read a feeds file: YAML (a list, or ``{feeds: [...]}``) or OPML (``outline xmlUrl=...``).

    Raises:
        ConfigError: the file is unreadable or invalid; the message names the file and entry.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"feeds file {str(path)!r}: cannot read: {exc}") from exc
    if path.suffix.lower() in {".opml", ".xml"} or text.lstrip().startswith("<"):
        raw = _read_opml(path, text)
    else:
        raw = _read_yaml(path, text)
    feeds: list[FeedSpec] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        feed = _to_spec(path, index, entry)
        if feed.url in seen:
            raise ConfigError(
                f"feeds file {str(path)!r}: entry {index}: duplicate url {feed.url!r} "
                f"(also entry {seen[feed.url]})"
            )
        seen[feed.url] = index
        feeds.append(feed)
    return feeds


def _read_yaml(path: Path, text: str) -> list[Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"feeds file {str(path)!r}: invalid YAML: {exc}") from exc
    if isinstance(data, dict) and "feeds" in data:
        data = data["feeds"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError(
            f"feeds file {str(path)!r}: expected a list of feeds or a mapping with 'feeds'"
        )
    return data


def _read_opml(path: Path, text: str) -> list[Any]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ConfigError(f"feeds file {str(path)!r}: invalid OPML: {exc}") from exc
    entries: list[Any] = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if url is None:
            continue
        entry: dict[str, Any] = {"url": url}
        name = outline.get("title") or outline.get("text")
        if name:
            entry["name"] = name
        entries.append(entry)
    return entries


def _to_spec(path: Path, index: int, entry: object) -> FeedSpec:
    where = f"feeds file {str(path)!r}: entry {index}"
    if isinstance(entry, str):
        entry = {"url": entry}
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with 'url', got {entry!r}")
    unknown = set(entry) - {"url", "name", "interval", "fulltext", "mirror", "shift_dates_from"}
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {sorted(map(str, unknown))}")
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: field 'url' is required and must be a string")
    url = _resolve_url(url.strip(), path.parent, where)
    name = entry.get("name")
    if name is None:
        name = _default_name(url)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: field 'name' must be a non-empty string")
    try:
        interval = parse_interval(entry.get("interval", DEFAULT_INTERVAL))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: field 'interval': {exc}") from exc
    fulltext = entry.get("fulltext")
    if fulltext is not None and fulltext not in FULLTEXT_MODES:
        raise ConfigError(
            f"{where}: field 'fulltext': {fulltext!r} is not one of {', '.join(FULLTEXT_MODES)}"
        )
    mirror = entry.get("mirror")
    if mirror is not None:
        if not isinstance(mirror, str) or not mirror.strip():
            raise ConfigError(f"{where}: field 'mirror' must be a directory")
        folder = Path(mirror.strip()).expanduser()
        folder = folder if folder.is_absolute() else (path.parent / folder).resolve()
        if not folder.is_dir():
            raise ConfigError(f"{where}: field 'mirror': {str(folder)!r} is not a directory")
        mirror = str(folder)
    shift_from = entry.get("shift_dates_from")
    if shift_from is not None:
        try:
            shift_from = parse_anchor(shift_from)
        except ValueError as exc:
            raise ConfigError(f"{where}: field 'shift_dates_from': {exc}") from exc
    return FeedSpec(
        name=name.strip(),
        url=url,
        interval=interval,
        fulltext=fulltext,
        mirror=mirror,
        shift_dates_from=shift_from,
    )


def _resolve_url(url: str, base: Path, where: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme in _REMOTE_SCHEMES:
        if scheme != "file" and not urlsplit(url).hostname:
            raise ConfigError(f"{where}: field 'url': no host in {url!r}")
        return url
    if scheme and len(scheme) > 1:  # a one-letter scheme is a Windows drive
        raise ConfigError(f"{where}: field 'url': unsupported scheme {scheme!r} in {url!r}")
    local = Path(url).expanduser()
    return str(local if local.is_absolute() else (base / local).resolve())


def _default_name(url: str) -> str:
    host = urlsplit(url).hostname
    if host:
        return host
    return Path(urlsplit(url).path if url.startswith("file:") else url).stem or url
