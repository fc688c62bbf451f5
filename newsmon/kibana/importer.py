"""Posting the saved objects to Kibana's import API.

``POST /api/saved_objects/_import?overwrite=true`` with the ndjson as the multipart field
``file`` and the ``kbn-xsrf`` header Kibana requires of every write. Kibana answers 200 even
when some objects failed: their reasons are in ``errors`` (conflict, missing_references,
unsupported_type, unknown), one per object, and each becomes one line here.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from contract import NewsmonError

IMPORT_PATH = "/api/saved_objects/_import"


class KibanaError(NewsmonError):
    """Kibana could not be asked, refused the request, or answered something unreadable."""


@dataclass(frozen=True)
class ImportOutcome:
    """What Kibana made of the import."""

    imported: int
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every object imported."""
        return not self.failures


def failure_line(error: dict[str, Any]) -> str:
    """One line for one object Kibana did not import: type, id, title, why."""
    reason = error.get("error") or {}
    kind = reason.get("type", "unknown")
    detail = reason.get("message") or ""
    if reason.get("references"):
        missing = ", ".join(f"{r.get('type')} {r.get('id')}" for r in reason["references"])
        detail = f"missing {missing}"
    title = error.get("title") or (error.get("meta") or {}).get("title")
    named = f"{error.get('type')} {error.get('id')}" + (f" ({title})" if title else "")
    return f"{named}: {kind}" + (f": {detail}" if detail else "")


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        kind = response.headers.get("content-type", "no content type")
        raise KibanaError(
            f"{url} answered HTTP {response.status_code} with something that is not JSON "
            f"({kind}): is this Kibana?"
        ) from exc


def import_saved_objects(
    url: str,
    ndjson: Path,
    auth: httpx.Auth | None = None,
    api_key: str | None = None,
    timeout: float = 60.0,
) -> ImportOutcome:
    """Import the file ``ndjson`` into the Kibana at ``url``, overwriting objects of the same id.

    Args:
        url: Kibana's base URL (with its base path, if any).
        ndjson: the saved-objects file.
        auth: basic auth, or None.
        api_key: an Elasticsearch API key (sent as ``Authorization: ApiKey ...``), or None.
        timeout: seconds for the whole request.

    Raises:
        KibanaError: Kibana unreachable, credentials refused, another HTTP error, or not JSON.
    """
    endpoint = url.rstrip("/") + IMPORT_PATH
    headers = {"kbn-xsrf": "newsmon"}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    files = {"file": (ndjson.name, ndjson.read_bytes(), "application/ndjson")}
    try:
        with httpx.Client(timeout=timeout, auth=auth) as client:
            response = client.post(
                endpoint, params={"overwrite": "true"}, headers=headers, files=files
            )
    except httpx.HTTPError as exc:
        raise KibanaError(f"cannot reach Kibana at {url}: {exc or type(exc).__name__}") from exc
    if response.status_code in (401, 403):
        verb = "refused the credentials" if response.status_code == 401 else "forbids the import"
        given = "" if auth or api_key else " (none given: --user or --api-key)"
        raise KibanaError(f"Kibana at {url} {verb} (HTTP {response.status_code}){given}")
    body = _json(response, url)
    if response.status_code != 200 or not isinstance(body, dict):
        message = body.get("message", body) if isinstance(body, dict) else body
        raise KibanaError(f"Kibana at {url} answered HTTP {response.status_code}: {message}")
    failures = [failure_line(error) for error in body.get("errors") or []]
    if not body.get("success", not failures) and not failures:
        failures.append("Kibana reported the import as failed without naming an object")
    return ImportOutcome(int(body.get("successCount", 0)), failures)
