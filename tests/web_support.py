"""Fixtures of the web view's browser tests: the data behind the page (a seed feed and a
failing one), a free port, waiting for the page, and headless Chromium (Debian's, driven by
Playwright) that records every request the page makes."""

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from feedserver import FeedServer, rss_xml
from playwright.sync_api import BrowserContext, Request, sync_playwright

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
SEED_TITLE = "NATO chief urges allies to lift limits on Ukraine's use of Western weapons"
QUERY = 'topics:weapons-restrictions AND entities:"Jens Stoltenberg"'
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def write_inputs(tmp_path: Path, feed_server: FeedServer, seed_text: str) -> tuple[Path, Path]:
    """The feeds file (a working feed with the seed article, a feed answering 404) and a
    subscriptions file with one console subscription matching the seed article."""
    body = "".join(f"<p>{escape(p)}</p>" for p in seed_text.split("\n\n") if p.strip())
    xml = rss_xml(
        [
            {"title": SEED_TITLE, "link": feed_server.url("/world/nato"), "description": body},
            {
                "title": "Sunny weekend ahead",
                "link": feed_server.url("/weather/weekend"),
                "description": "<p>Warm and dry weather is expected across the region.</p>",
            },
        ],
        title="Seed Wire",
    )
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"- name: Seed Wire\n  url: {feed_server.add('/seed.xml', xml)}\n"
        f"- name: Broken Wire\n  url: {feed_server.url('/missing.xml')}\n"
    )
    subs = tmp_path / "subscriptions.yaml"
    subs.write_text(
        f"- id: nato-limits\n  name: NATO weapons limits\n  owner: desk\n  query: '{QUERY}'\n"
        "  channels:\n    - {type: console}\n"
    )
    return feeds, subs


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_page(url: str, timeout: float = 180) -> None:
    """Until ``url`` answers 200 (the server loads spaCy first)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.5)


@dataclass
class Browsing:
    """A browser context and every URL requested from it."""

    context: BrowserContext
    requested: list[str] = field(default_factory=list)

    def remote(self) -> list[str]:
        """Requested URLs whose host is not this machine (``data:`` URLs are local)."""
        return [
            url
            for url in self.requested
            if not url.startswith("data:") and urlsplit(url).hostname not in LOCAL_HOSTS
        ]


@contextmanager
def chromium() -> Iterator[Browsing]:
    """Headless Debian Chromium; requests to anything but loopback are recorded and aborted
    (so a leak fails the test instead of reaching the network)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        browsing = Browsing(context)

        def record(request: Request) -> None:
            browsing.requested.append(request.url)

        context.on("request", record)
        context.route(
            "**/*",
            lambda route: (
                route.abort()
                if urlsplit(route.request.url).hostname not in LOCAL_HOSTS
                and not route.request.url.startswith("data:")
                else route.continue_()
            ),
        )
        try:
            yield browsing
        finally:
            context.close()
            browser.close()
