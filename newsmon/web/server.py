"""The web view inside ``newsmon run``: the API's app served by uvicorn in a thread, started
with the pipeline and stopped when it stops.

A port that is taken is not fatal: the monitoring matters more than the page, so ``run`` says
so in one line and goes on without it (``--port`` picks another, ``--no-web`` turns it off).
"""

import logging
import socket
import threading

import uvicorn

from newsmon.settings import Settings

log = logging.getLogger(__name__)


class PortTaken(Exception):
    """The web view's address cannot be bound (message: which and why)."""


class WebServer:
    """uvicorn serving :func:`newsmon.api.create_app` on a socket bound up front, so a taken
    port is known before the banner is printed."""

    def __init__(self, settings: Settings) -> None:
        from newsmon.api import create_app

        host, port = settings.api_host, settings.api_port
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise PortTaken(f"{host}:{port}: {exc.strerror or exc}") from exc
        self.url = f"http://{host}:{self.sock.getsockname()[1]}/"
        config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._serve, name="web-view", daemon=True)

    def _serve(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self) -> None:
        """Serve in the background."""
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving (open connections get ``timeout`` seconds) and free the port."""
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()
