"""The web view inside ``newsmon run``: serves the app in a thread, frees its port on stop,
and a taken port is a PortTaken naming it (run goes on without the view)."""

import socket
import time
from pathlib import Path

import httpx
import pytest

from newsmon.settings import Settings
from newsmon.web.server import PortTaken, WebServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serves_the_page_and_frees_the_port_on_stop(tmp_path: Path) -> None:
    port = _free_port()
    server = WebServer(Settings(data_dir=tmp_path, mode="embedded", api_port=port))
    assert server.url == f"http://127.0.0.1:{port}/"
    server.start()
    try:
        page = _get(server.url)
        assert page.status_code == 200
        assert "embedded mode" in page.text
    finally:
        server.stop()
    assert not server.thread.is_alive()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortTaken, match=rf"^127\.0\.0\.1:{port}: Address already in use$"):
            WebServer(Settings(data_dir=tmp_path, mode="embedded", api_port=port))
