"""``newsmon kibana check`` without a cluster: one line, exit code 1."""

import socket

import pytest
from typer.testing import CliRunner

from newsmon.cli import app


def test_unreachable_elasticsearch_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("NEWSMON_ES_URL", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NEWSMON_PERCOLATOR_URL", raising=False)
    result = CliRunner().invoke(app, ["kibana", "check"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach Elasticsearch:")
    assert len(result.stderr.strip().splitlines()) == 1
