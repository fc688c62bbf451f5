"""``newsmon kibana import`` against a loopback server shaped like Kibana's import endpoint.

Kibana cannot run here, so the server implements the documented request and response of
``POST /api/saved_objects/_import``: multipart ``file``, ``overwrite`` query parameter,
``kbn-xsrf`` required (400 without it), a 200 answer with ``success``, ``successCount`` and
``errors`` (one per object that failed).
"""

import base64
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from newsmon.cli import app
from newsmon.kibana.saved_objects import DEFAULT_FILE


@dataclass
class FakeKibana:
    """Records every request; answers with ``status``/``body`` (or per-object errors)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    body: bytes | None = None
    content_type: str = "application/json"
    fail_ids: list[str] = field(default_factory=list)


def _handler(fake: FakeKibana) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + raw
            )
            files = {
                part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                for part in message.iter_parts()
            }
            split = urlsplit(self.path)
            fake.requests.append(
                {"path": split.path, "query": parse_qs(split.query),
                 "headers": dict(self.headers), "files": files}
            )  # fmt: skip
            if fake.body is not None:
                return self._answer(fake.status, fake.body)
            if "kbn-xsrf" not in self.headers:
                return self._answer(400, b'{"statusCode":400,"message":"missing kbn-xsrf"}')
            upload = files["file"]
            assert isinstance(upload, bytes)
            objects = [json.loads(line) for line in upload.splitlines() if line.strip()]
            errors = [
                {"id": o["id"], "type": o["type"], "meta": {"title": o["attributes"]["title"]},
                 "error": {"type": "missing_references",
                           "references": [{"type": "index-pattern", "id": "newsmon-articles"}]}}
                for o in objects if o["id"] in fake.fail_ids
            ]  # fmt: skip
            answer = {"success": not errors, "successCount": len(objects) - len(errors),
                      "successResults": [], "errors": errors}  # fmt: skip
            return self._answer(200, json.dumps(answer).encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", fake.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def kibana() -> Iterator[FakeKibana]:
    fake = FakeKibana()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_kibana_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "USERNAME", "PASSWORD", "API_KEY"):
        monkeypatch.delenv(f"NEWSMON_KIBANA_{name}", raising=False)


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["kibana", "import", *args])


def test_posts_the_file_with_overwrite_xsrf_and_api_key(kibana: FakeKibana) -> None:
    result = _run("--url", kibana.url, "--api-key", "c2VjcmV0")
    assert result.exit_code == 0, result.output
    (request,) = kibana.requests
    assert request["path"] == "/api/saved_objects/_import"
    assert request["query"] == {"overwrite": ["true"]}
    assert "kbn-xsrf" in request["headers"]
    assert request["headers"]["Authorization"] == "ApiKey c2VjcmV0"
    assert request["files"]["file"] == DEFAULT_FILE.read_bytes()
    count = len(DEFAULT_FILE.read_text().splitlines())
    assert f"imported {count} object(s) into {kibana.url}" in result.stdout


def test_user_sends_basic_auth_and_json_prints_the_summary(kibana: FakeKibana) -> None:
    result = _run("--url", kibana.url, "--user", "elastic:pa:ss", "--json")
    assert result.exit_code == 0, result.output
    expected = base64.b64encode(b"elastic:pa:ss").decode()
    assert kibana.requests[0]["headers"]["Authorization"] == f"Basic {expected}"
    count = len(DEFAULT_FILE.read_text().splitlines())
    assert json.loads(result.stdout) == {"imported": count, "failures": []}


def test_settings_give_url_and_credentials(
    kibana: FakeKibana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_KIBANA_URL", kibana.url)
    monkeypatch.setenv("NEWSMON_KIBANA_USERNAME", "ops")
    monkeypatch.setenv("NEWSMON_KIBANA_PASSWORD", "hunter2")
    assert _run().exit_code == 0
    expected = base64.b64encode(b"ops:hunter2").decode()
    assert kibana.requests[0]["headers"]["Authorization"] == f"Basic {expected}"


def test_each_refused_object_is_one_line_and_exit_code_1(kibana: FakeKibana) -> None:
    kibana.fail_ids = ["newsmon-top-sources", "newsmon-latest-articles"]
    result = _run("--url", kibana.url)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("not imported:")]
    assert lines == [
        "not imported: lens newsmon-top-sources (Top sources): missing_references: "
        "missing index-pattern newsmon-articles",
        "not imported: search newsmon-latest-articles (Latest articles): missing_references: "
        "missing index-pattern newsmon-articles",
    ]


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (401, b'{"statusCode":401,"error":"Unauthorized"}', "application/json",
         "refused the credentials (HTTP 401) (none given: --user or --api-key)"),
        (403, b'{"statusCode":403}', "application/json", "forbids the import (HTTP 403)"),
        (200, b"<html>nginx</html>", "text/html",
         "answered HTTP 200 with something that is not JSON (text/html): is this Kibana?"),
        (500, b'{"statusCode":500,"message":"Internal Server Error"}', "application/json",
         "answered HTTP 500: Internal Server Error"),
        (200, b'{"success":false,"successCount":0}', "application/json",
         "reported the import as failed without naming an object"),
    ],
)  # fmt: skip
def test_kibana_refusals_are_one_line(
    kibana: FakeKibana, status: int, body: bytes, content_type: str, expected: str
) -> None:
    kibana.status, kibana.body, kibana.content_type = status, body, content_type
    result = _run("--url", kibana.url)
    assert result.exit_code == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_unreachable_kibana_is_one_line() -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run("--url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert f"cannot reach Kibana at http://127.0.0.1:{port}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_file_is_refused_before_anything_is_sent(
    kibana: FakeKibana, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.ndjson"
    lens = {"type": "lens", "id": "l", "attributes": {"title": "x"},
            "references": [{"type": "index-pattern", "id": "gone", "name": "r"}]}  # fmt: skip
    broken.write_text(json.dumps(lens) + "\n")
    result = _run("--url", kibana.url, "--file", str(broken))
    assert result.exit_code == 1
    assert "index-pattern gone is not in the file" in result.stderr
    assert kibana.requests == []
    missing = _run("--url", kibana.url, "--file", str(tmp_path / "nope.ndjson"))
    assert missing.exit_code == 1 and "cannot read" in missing.stderr


def test_user_without_a_colon_is_refused(kibana: FakeKibana) -> None:
    result = _run("--url", kibana.url, "--user", "elastic")
    assert result.exit_code == 1 and "--user takes USER:PASS" in result.stderr
    assert kibana.requests == []
