"""A real loopback HTTP feed server and RSS/Atom builders, shared by unit and e2e tests."""

import itertools
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

Item = Mapping[str, Any]


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FeedServer:
    """Serves bytes on 127.0.0.1, honours If-None-Match / If-Modified-Since, counts requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self.request_headers: dict[str, list[dict[str, str]]] = {}
        self.timeline: list[tuple[float, float, str]] = []
        """(start, end, path) of every request answered, in monotonic seconds: the server's
        own log, for politeness assertions."""
        self._timeline_lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> str:
        """Serve ``body`` at ``path`` (replacing what was there) and return its URL.

        ``delay``: seconds to wait before answering (a slow server).
        """
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(
            data, status, content_type, etag, last_modified, headers or {}, delay
        )
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        started = time.monotonic()
        try:
            self._answer(handler)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout, a size cap): what the test asked for
        finally:
            with self._timeline_lock:
                self.timeline.append((started, time.monotonic(), handler.path))

    def max_in_flight(self, prefix: str = "/") -> int:
        """The most requests under ``prefix`` the server was answering at one time."""
        events = sorted(
            [(start, 1) for start, _, path in self.timeline if path.startswith(prefix)]
            + [(end, -1) for _, end, path in self.timeline if path.startswith(prefix)]
        )
        current = peak = 0
        for _, change in events:
            current += change
            peak = max(peak, current)
        return peak

    def start_gaps(self, prefix: str = "/") -> list[float]:
        """Seconds between consecutive request starts under ``prefix``."""
        starts = sorted(start for start, _, path in self.timeline if path.startswith(prefix))
        return [b - a for a, b in itertools.pairwise(starts)]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        self.requests[path] += 1
        self.request_headers.setdefault(path, []).append(dict(handler.headers.items()))
        route = self.routes.get(path)
        if route is None:
            handler.send_error(404)
            return
        if route.delay:
            time.sleep(route.delay)
        if route.status == 200 and self._unchanged(handler, route):
            handler.send_response(304)
            self._validators(handler, route)
            handler.end_headers()
            return
        handler.send_response(route.status)
        handler.send_header("Content-Type", route.content_type)
        handler.send_header("Content-Length", str(len(route.body)))
        for name, value in route.headers.items():
            handler.send_header(name, value)
        self._validators(handler, route)
        handler.end_headers()
        handler.wfile.write(route.body)

    @staticmethod
    def _unchanged(handler: BaseHTTPRequestHandler, route: Route) -> bool:
        if_none_match = handler.headers.get("If-None-Match")
        if if_none_match is not None:
            return route.etag is not None and if_none_match == route.etag
        since = handler.headers.get("If-Modified-Since")
        return since is not None and since == route.last_modified

    @staticmethod
    def _validators(handler: BaseHTTPRequestHandler, route: Route) -> None:
        if route.etag:
            handler.send_header("ETag", route.etag)
        if route.last_modified:
            handler.send_header("Last-Modified", route.last_modified)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def rss_xml(
    items: Sequence[Item] = (),
    *,
    title: str = "Example News",
    language: str | None = "en-US",
) -> bytes:
    """An RSS 2.0 document; each item may have title, link, guid, description, content, date."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{escape(title)}</title><link>https://example.com/</link>",
    ]
    if language:
        parts.append(f"<language>{language}</language>")
    for item in items:
        parts.append("<item>")
        for key, tag in (
            ("title", "title"),
            ("link", "link"),
            ("description", "description"),
        ):
            if key in item:
                parts.append(f"<{tag}>{escape(item[key])}</{tag}>")
        if "guid" in item:
            permalink = "true" if item["guid"].startswith("http") else "false"
            parts.append(f'<guid isPermaLink="{permalink}">{escape(item["guid"])}</guid>')
        if "content" in item:
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        if "date" in item:
            parts.append(f"<pubDate>{item['date']}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode()


def atom_xml(
    entries: Sequence[Item] = (),
    *,
    title: str = "Example Atom",
    language: str | None = None,
) -> bytes:
    """An Atom 1.0 document; each entry may have title, link, id, summary, content, updated."""
    lang = f' xml:lang="{language}"' if language else ""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom"{lang}>',
        f"<title>{escape(title)}</title><id>urn:example:feed</id>",
        "<updated>2024-03-01T00:00:00Z</updated>",
    ]
    for index, entry in enumerate(entries):
        entry_lang = f' xml:lang="{entry["lang"]}"' if "lang" in entry else ""
        parts.append(f"<entry{entry_lang}>")
        parts.append(f'<title type="html">{escape(entry.get("title", ""))}</title>')
        if "link" in entry:
            parts.append(f'<link rel="alternate" href="{escape(entry["link"])}"/>')
        parts.append(f"<id>{escape(entry.get('id', f'urn:example:{index}'))}</id>")
        if "updated" in entry:
            parts.append(f"<updated>{entry['updated']}</updated>")
        if "summary" in entry:
            parts.append(f'<summary type="html">{escape(entry["summary"])}</summary>')
        if "content" in entry:
            parts.append(f'<content type="html">{escape(entry["content"])}</content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts).encode()
