"""``newsmon tag``: what a line of stdin becomes as an Article, before enrichment."""

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from contract import Article, PoisonMessage, article_id, canonical_url


def json_object(raw: str, where: str) -> dict[str, Any]:
    """Parse one line of input that must be a JSON object.

    Raises:
        PoisonMessage: invalid JSON, or JSON that is not an object; ``where`` names the line.
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PoisonMessage(f"{where}: invalid JSON: {exc}", raw.encode()) from exc
    if not isinstance(data, dict):
        raise PoisonMessage(f"{where}: expected a JSON object", raw.encode())
    return data


def article_from_input(raw: str, where: str = "stdin") -> Article:
    """An Article from plain text, or from a JSON object with ``title``/``text`` (and optional
    ``url``, ``source``, ``summary``, ``published``).

    Raises:
        PoisonMessage: JSON that is not an object, or a field of the wrong type (named).
    """
    stripped = raw.strip()
    fields: dict[str, object] = {"text": stripped}
    # A JSON array is JSON too (and not an article); "[UPDATED] Story..." stays plain text.
    if stripped.startswith("{") or (stripped.startswith("[") and stripped.endswith("]")):
        data = json_object(raw, where)
        for key in ("title", "text", "summary"):
            if key in data and not isinstance(data[key], str):
                raise PoisonMessage(f"{where}: must be a string", raw.encode(), key)
        fields = {k: v for k, v in data.items() if k in Article.model_fields}
    body = f"{fields.get('title', '')}\n{fields.get('text', '')}"
    url = str(
        fields.get("url") or f"urn:newsmon:text:{hashlib.sha256(body.encode()).hexdigest()[:24]}"
    )
    fields.update(
        url=canonical_url(url) if url.startswith("http") else url,
        id=article_id(url),
        source=fields.get("source") or where,
        fetched_at=datetime.now(UTC),
    )
    try:
        return Article.model_validate(fields)
    except ValueError as exc:
        raise PoisonMessage(f"{where}: {exc}", raw.encode()) from exc
