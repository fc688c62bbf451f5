"""The hostile feed corpus (tests/data/hostile/cases.yaml) served from 127.0.0.1.

:class:`HostileServer` answers each case's path the way the case says: a plain body with its
status and headers, or a misbehaviour (stalls, drips, resets, redirect chains and loops, gzip
bombs, 12 MB streams). :class:`InternalServer` stands for an internal service: SSRF cases point
at it, and it counts every connection, so a test can assert that nothing reached it.

Large bodies (gzip bombs, 12 MB streams, 100,000-deep nesting, 5,000 items) are built here,
deterministically, instead of being stored in the repository.
"""

import email.utils
import functools
import itertools
import re
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

HOSTILE_DIR = Path(__file__).resolve().parent / "data" / "hostile"
MANIFEST = HOSTILE_DIR / "cases.yaml"
CASES_DIR = HOSTILE_DIR / "cases"
DEFAULT_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
INTERNAL_SECRET = "INTERNAL SECRET"

BEHAVIOURS = frozenset(
    {
        "body", "stall", "stall_body", "drip", "gzip_bomb", "huge", "redirect", "redirect_loop",
        "reset", "wrong_length", "raw", "close",
    }
)  # fmt: skip
CASE_KEYS = frozenset(
    {
        "id", "tags", "path", "url", "file", "generate", "template", "status", "reason",
        "content_type", "headers", "behaviour", "target", "params", "expect",
    }
)  # fmt: skip
EXPECT_KEYS = frozenset(
    {
        "articles", "error", "state", "titles", "urls", "published", "published_is_fetch_time",
        "fetch_url", "text_contains", "text_excludes", "text_max_chars", "title_max_chars",
        "skipped", "repaired", "flags", "notes",
    }
)  # fmt: skip
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HTTP_DATE_IN = re.compile(r"\{http_date_in:(-?\d+)\}")
_DRIP_INTERVAL = 0.5


@dataclass(frozen=True)
class Case:
    """One hostile feed: where it is served, how, and the outcome newsmon must reach.

    Attributes:
        id: the case id, also the feed's name in the feeds file.
        tags: categories (encoding, xml, http, ssrf, size, ...).
        expect: ``articles`` (plus optional detail) or ``error`` (a regex), see README.md.
        path: the path served on :class:`HostileServer`; None for ``url`` cases.
        url: a feed URL template (``{internal}``, ``{internal_port}``, ``{base}``, ``{port}``)
            for cases whose feed is not on this server (SSRF targets).
        file: the body, relative to ``cases/``.
        generate: the name of a body built in code (:data:`GENERATORS`).
        template: substitute the URL templates in the body before serving it.
        status: the HTTP status.
        reason: a reason phrase to send instead of the standard one.
        content_type: the Content-Type header; None sends none.
        headers: extra headers (values may use ``{http_date_in:SECONDS}``).
        behaviour: how the response misbehaves (:data:`BEHAVIOURS`).
        target: where a redirect finally points (a URL template, or a path).
        params: the behaviour's parameters.
    """

    id: str
    tags: tuple[str, ...]
    expect: Mapping[str, Any]
    path: str | None = None
    url: str | None = None
    file: str | None = None
    generate: str | None = None
    template: bool = False
    status: int = 200
    reason: str | None = None
    content_type: str | None = DEFAULT_CONTENT_TYPE
    headers: Mapping[str, str] = field(default_factory=dict)
    behaviour: str = "body"
    target: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


def load_cases(path: Path = MANIFEST) -> list[Case]:
    """Read and check the manifest.

    Raises:
        ValueError: a case is malformed; the message names it.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    cases = []
    for index, raw in enumerate(data["cases"]):
        name = raw.get("id", f"#{index}") if isinstance(raw, dict) else f"#{index}"
        try:
            cases.append(_to_case(raw))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"case {name}: {exc}") from None
    return cases


def _to_case(raw: dict[str, Any]) -> Case:
    unknown = set(raw) - CASE_KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    if not _ID.fullmatch(raw["id"]):
        raise ValueError("id must be lower-case words joined by dashes")
    expect = raw["expect"]
    if set(expect) - EXPECT_KEYS:
        raise ValueError(f"unknown expect keys {sorted(set(expect) - EXPECT_KEYS)}")
    if ("articles" in expect) == ("error" in expect):
        raise ValueError("expect needs exactly one of articles and error")
    if (raw.get("path") is None) == (raw.get("url") is None):
        raise ValueError("needs exactly one of path and url")
    if raw.get("file") and raw.get("generate"):
        raise ValueError("file and generate are exclusive")
    if raw.get("generate") and raw["generate"] not in GENERATORS:
        raise ValueError(f"unknown generator {raw['generate']!r}")
    behaviour = raw.get("behaviour", "body")
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown behaviour {behaviour!r}")
    return Case(
        id=raw["id"],
        tags=tuple(raw.get("tags") or ()),
        expect=expect,
        path=raw.get("path"),
        url=raw.get("url"),
        file=raw.get("file"),
        generate=raw.get("generate"),
        template=bool(raw.get("template", False)),
        status=int(raw.get("status", 200)),
        reason=raw.get("reason"),
        content_type=raw.get("content_type", DEFAULT_CONTENT_TYPE),
        headers=dict(raw.get("headers") or {}),
        behaviour=behaviour,
        target=raw.get("target"),
        params=dict(raw.get("params") or {}),
    )


# ---------------------------------------------------------------- generated bodies

_CHANNEL = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
    "<channel><title>{title}</title><link>https://bulk.example/</link>"
    "<description>Generated hostile feed</description>\n"
)
_END = "</channel></rss>\n"
_DATE = "Fri, 01 Mar 2024 10:00:00 GMT"
_SENTENCE = (
    "Officials said the talks would continue next week as negotiators sought a compromise "
    "on the remaining questions of trade, energy and security. "
)


def _item(title: str, link: str, body: str, *, tag: str = "description") -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link><pubDate>{_DATE}</pubDate>"
        f"<{tag}>{body}</{tag}></item>\n"
    )


def _deep_nesting_escaped() -> bytes:
    """An escaped ``<div>`` nested 100,000 deep (~2.3 MB), and a shallow neighbour."""
    depth = 100_000
    body = "&lt;div&gt;" * depth + "The innermost sentence survives." + "&lt;/div&gt;" * depth
    return (
        _CHANNEL.format(title="Deep Wire")
        + _item("Nested one hundred thousand deep", "https://bulk.example/deep/1", body)
        + _item("Neighbour of the deep item", "https://bulk.example/deep/2", "Shallow.")
        + _END
    ).encode()


def _deep_xml_elements() -> bytes:
    """100,000 nested unknown namespaced elements inside an item (~1.5 MB)."""
    depth = 100_000
    nested = "<x:div>" * depth + "deep" + "</x:div>" * depth
    first = (
        "<item><title>Deeply nested extension elements</title>"
        f"<link>https://bulk.example/deep-xml/1</link><pubDate>{_DATE}</pubDate>"
        f'<x:wrap xmlns:x="urn:example:deep">{nested}</x:wrap></item>\n'
    )
    second = _item("Shallow neighbour item", "https://bulk.example/deep-xml/2", "Shallow.")
    return (_CHANNEL.format(title="Deep XML Wire") + first + second + _END).encode()


def _paragraphs() -> bytes:
    """One item whose content:encoded holds 20,000 paragraphs (~2.9 MB)."""
    total = 20_000
    paragraphs = "".join(
        f"<p>Paragraph {i} of {total}: {_SENTENCE}</p>" for i in range(1, total + 1)
    )
    return (
        _CHANNEL.format(title="Paragraph Wire")
        + _item(
            "Twenty thousand paragraphs",
            "https://bulk.example/paragraphs/1",
            f"<![CDATA[{paragraphs}]]>",
            tag="content:encoded",
        )
        + _END
    ).encode()


def _items() -> bytes:
    """5,000 small items (~1.6 MB)."""
    items = "".join(
        _item(
            f"Market brief {i:04d}: shares move on rate hopes",
            f"https://bulk.example/briefs/{i:04d}",
            f"Brief number {i}. Stocks moved as traders weighed central bank signals.",
        )
        for i in range(1, 5001)
    )
    return (_CHANNEL.format(title="Brief Wire") + items + _END).encode()


def _padded(total: int, titles: Sequence[str], slug: str) -> bytes:
    """A small feed padded with an XML comment to exactly ``total`` bytes."""
    items = "".join(
        _item(title, f"https://bulk.example/{slug}/{i}", "Padded feed item.")
        for i, title in enumerate(titles, 1)
    )
    head = (_CHANNEL.format(title="Padded Wire") + items).encode()
    tail = _END.encode()
    filler = total - len(head) - len(tail) - len("<!--  -->\n")
    return head + b"<!-- " + b"p" * filler + b" -->\n" + tail


def _exact_cap() -> bytes:
    return _padded(
        5_000_000, ["Exactly at the cap, first item", "Exactly at the cap, second item"], "cap"
    )


def _over_cap() -> bytes:
    return _padded(5_000_001, ["One byte over the cap"], "over")


def _big_item() -> bytes:
    """One item whose plain-text description makes the body ~4.9 MB (under the 5 MB cap)."""
    head = _CHANNEL.format(title="Big Item Wire")
    shell = _item("A single 4.9 MB item", "https://bulk.example/big/1", "{}") + _END
    room = 4_900_000 - len(head) - len(shell) + 2
    text = (_SENTENCE * (room // len(_SENTENCE) + 1))[:room].rstrip()
    return (head + shell.replace("{}", text)).encode()


GENERATORS: dict[str, Callable[[], bytes]] = {
    "deep-nesting-escaped": _deep_nesting_escaped,
    "deep-xml-elements": _deep_xml_elements,
    "paragraphs-20000": _paragraphs,
    "items-5000": _items,
    "exact-cap": _exact_cap,
    "over-cap": _over_cap,
    "big-item": _big_item,
}


@functools.cache
def generated(kind: str) -> bytes:
    """The body of a ``generate`` case (built once per process)."""
    return GENERATORS[kind]()


_BOMB_CHUNK = 1 << 20
_BOMB_LOCK = threading.Lock()


def _bomb_chunk(content: str) -> tuple[bytes, bytes]:
    """(prologue, chunk): the bomb inflates to the prologue and then repeated chunks."""
    if content == "zeros":
        return b"", bytes(_BOMB_CHUNK)
    unit = _item("Bomb item", "https://bomb.example/item", "Repeated until memory runs out.")
    data = unit.encode()
    return _CHANNEL.format(title="Bomb Wire").encode(), data * (_BOMB_CHUNK // len(data))


@functools.cache
def _bomb_cached(content: str, encoding: str, inflated: int) -> bytes:
    prologue, chunk = _bomb_chunk(content)
    count = max(inflated // len(chunk), 1)
    # A full flush resets the compressor, so every chunk compresses to the same bytes: the
    # stream is built by repetition in milliseconds instead of deflating a gigabyte.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prologue) + compressor.flush(zlib.Z_FULL_FLUSH)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    repeated = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    raw = head + repeated * count + final
    size = len(prologue) + len(chunk) * count
    if encoding == "deflate":
        adler = zlib.adler32(prologue)
        for _ in range(count):
            adler = zlib.adler32(chunk, adler)
        return b"\x78\xda" + raw + struct.pack(">I", adler)
    crc = zlib.crc32(prologue)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    member = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + raw
    member += struct.pack("<II", crc, size & 0xFFFFFFFF)
    if encoding == "gzip, gzip":
        return zlib.compress(member, 9, wbits=31)
    return member


def gzip_bomb(content: str = "zeros", encoding: str = "gzip", inflated: int = 1 << 30) -> bytes:
    """A compressed body of ~1-4 MB that inflates to ``inflated`` bytes (or a bit more).

    Args:
        content: ``zeros``, or ``xml`` (an RSS prologue, then the same item over and over).
        encoding: ``gzip``, ``deflate`` (zlib-wrapped, as HTTP means it) or ``gzip, gzip``
            (the gzip bomb compressed once more: a few KB on the wire).
        inflated: the size it inflates to (to the nearest whole MiB chunk).
    """
    with _BOMB_LOCK:
        return _bomb_cached(content, encoding, inflated)


def _huge_stream(size: int) -> Iterator[bytes]:
    """``size`` bytes of an RSS feed that never ends (items until the size is reached)."""
    block = b"".join(
        _item(f"Huge item {i}", f"https://huge.example/{i}", _SENTENCE).encode() for i in range(200)
    )
    left = size
    pieces = itertools.chain([_CHANNEL.format(title="Huge Wire").encode()], itertools.repeat(block))
    for piece in pieces:
        if left <= 0:
            return
        yield piece[:left]
        left -= len(piece)


# ---------------------------------------------------------------- servers


def _render(template: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


class _Server(ThreadingHTTPServer):
    """A threading server on 127.0.0.1 that counts connections and never blocks on close."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.connections = 0
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self.connections += 1
        super().process_request(request, client_address)


class _Running:
    """Start/stop of a :class:`_Server` in a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.closing = threading.Event()
        self._httpd = _Server(handler)
        self.port = int(self._httpd.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (whether or not a request followed)."""
        return self._httpd.connections

    def close(self) -> None:
        """Stop serving; held connections are released (their threads are daemons)."""
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class InternalServer:
    """An "internal service" on 127.0.0.1: anything reaching it is an SSRF that got through.

    Every path answers 200 with an RSS feed (and plain text) saying ``INTERNAL SECRET``, so a
    leak also shows up as stored text. ``hits`` lists request paths; ``connections`` counts
    TCP connections, requests or not.
    """

    def __init__(self) -> None:
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                body = (
                    _CHANNEL.format(title=INTERNAL_SECRET)
                    + _item(f"{INTERNAL_SECRET} credentials", "https://internal.example/", "x")
                    + _END
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._running = _Running(Handler)
        self.port = self._running.port
        self.base = self._running.base

    @property
    def connections(self) -> int:
        """TCP connections accepted (0 when every SSRF attempt was refused)."""
        return self._running.connections

    def close(self) -> None:
        self._running.close()


@dataclass(frozen=True)
class _Route:
    case: Case
    kind: str  # "case", "hop", "target", "loop"
    location: str | None = None
    status: int | None = None


class HostileServer:
    """Serves every case of the corpus on 127.0.0.1 (see the module docstring).

    Args:
        cases: the cases to serve (default: the whole manifest).
        internal: the internal server SSRF cases aim at (default: one of its own, closed with
            this one).
        cases_dir: where the ``file`` bodies are.
    """

    def __init__(
        self,
        cases: Sequence[Case] | None = None,
        *,
        internal: InternalServer | None = None,
        cases_dir: Path = CASES_DIR,
    ) -> None:
        self.cases = list(load_cases() if cases is None else cases)
        self.cases_dir = cases_dir
        self._own_internal = internal is None
        self.internal = internal or InternalServer()
        self.requests: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._running = _Running(Handler)
        self.port = self._running.port
        self.base = self._running.base
        self.closing = self._running.closing
        self.values = {
            "base": self.base,
            "port": str(self.port),
            "internal": self.internal.base,
            "internal_port": str(self.internal.port),
        }
        self.routes = self._routes()

    # -- public API

    def url(self, case: Case) -> str:
        """The feed URL of ``case``."""
        if case.url is not None:
            return self.render(case.url)
        assert case.path is not None
        return self.base + case.path

    def feeds(self) -> list[tuple[str, str]]:
        """(name, url) of every case, for a feeds file."""
        return [(case.id, self.url(case)) for case in self.cases]

    @property
    def allow(self) -> str:
        """The one address newsmon must be allowed to fetch from (``NEWSMON_FETCH_ALLOW``)."""
        return f"127.0.0.1:{self.port}"

    def render(self, template: str) -> str:
        """``template`` with ``{base}``, ``{port}``, ``{internal}``, ``{internal_port}`` filled."""
        return _render(template, self.values)

    def body(self, case: Case) -> bytes:
        """The body bytes a case serves (templated if the case says so)."""
        if case.generate:
            data = generated(case.generate)
        elif case.file:
            data = (self.cases_dir / case.file).read_bytes()
        else:
            data = b""
        if case.template:
            data = self.render(data.decode("latin-1")).encode("latin-1")
        return data

    def close(self) -> None:
        """Stop serving (stalled connections are released), and the own internal server."""
        self._running.close()
        if self._own_internal:
            self.internal.close()

    def __enter__(self) -> "HostileServer":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- routing

    def _routes(self) -> dict[str, _Route]:
        routes: dict[str, _Route] = {}

        def add(path: str, route: _Route) -> None:
            if path in routes:
                raise ValueError(f"case {route.case.id}: path {path} is already served")
            routes[path] = route

        for case in self.cases:
            if case.path is None:
                continue
            if case.behaviour == "redirect":
                for path, route in self._redirect_routes(case):
                    add(path, route)
            elif case.behaviour == "redirect_loop":
                other = case.path if case.params.get("self") else case.path + "/b"
                add(case.path, _Route(case, "loop", self.base + other))
                if other != case.path:
                    add(other, _Route(case, "loop", self.base + case.path))
            else:
                add(case.path, _Route(case, "case"))
        return routes

    def _redirect_routes(self, case: Case) -> Iterator[tuple[str, _Route]]:
        assert case.path is not None and case.target is not None
        hops = int(case.params.get("hops", 1))
        statuses = list(case.params.get("statuses") or [case.status] * hops)
        paths = [case.path] + [f"{case.path}/hop/{k}" for k in range(2, hops + 1)]
        final = case.target if case.target.startswith("/") else self.render(case.target)
        for k, path in enumerate(paths):
            location = self.base + paths[k + 1] if k + 1 < hops else final
            yield path, _Route(case, "hop", location, statuses[k])
        local = case.target.startswith(("/", "{base}"))
        if local and (case.file or case.generate):
            yield final.removeprefix(self.base), _Route(case, "target")

    # -- serving

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        self.requests[path] += 1
        handler.close_connection = True
        route = self.routes.get(path)
        try:
            if route is None:
                self._send(handler, 404, None, {}, b"no such case\n", "text/plain")
            elif route.kind in ("hop", "loop"):
                assert route.location is not None
                status = route.status or route.case.status
                self._send(handler, status, None, {"Location": route.location}, b"", None)
            elif route.kind == "target":
                case = route.case
                self._send(handler, 200, None, {}, self.body(case), case.content_type)
            else:
                self._serve_case(handler, route.case)
        except OSError:  # the client gave up (timeouts, size caps): nothing to do
            pass

    def _headers(self, case: Case) -> dict[str, str]:
        def date(match: re.Match[str]) -> str:
            return email.utils.formatdate(time.time() + int(match.group(1)), usegmt=True)

        headers = {k: _HTTP_DATE_IN.sub(date, self.render(v)) for k, v in case.headers.items()}
        if "header_padding" in case.params:
            headers["X-Padding"] = "a" * int(case.params["header_padding"])
        return headers

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        reason: str | None,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None,
        *,
        length: int | None = None,
    ) -> None:
        handler.send_response_only(status, reason)
        handler.send_header("Date", handler.date_time_string())
        handler.send_header("Connection", "close")
        if content_type is not None:
            handler.send_header("Content-Type", content_type)
        if status not in (204, 304):
            handler.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    def _hold(self) -> None:
        self.closing.wait()

    def _serve_case(self, handler: BaseHTTPRequestHandler, case: Case) -> None:
        behaviour = case.behaviour
        params = case.params
        headers = self._headers(case)
        if behaviour == "close":
            return
        if behaviour == "stall":
            self._hold()
            return
        if behaviour == "raw":
            handler.wfile.write(self.body(case))
            handler.wfile.flush()
            return
        if behaviour == "gzip_bomb":
            encoding = str(params.get("encoding", "gzip"))
            data = gzip_bomb(str(params.get("content", "zeros")), encoding)
            headers = {**headers, "Content-Encoding": encoding}
            self._send(handler, case.status, case.reason, headers, data, case.content_type)
            return
        if behaviour == "huge":
            self._serve_huge(handler, case, headers)
            return
        body = self.body(case)
        if behaviour == "body":
            self._send(handler, case.status, case.reason, headers, body, case.content_type)
        elif behaviour == "stall_body":
            sent = int(params.get("send", 0))
            self._send(
                handler, case.status, case.reason, headers, body[:sent], case.content_type,
                length=len(body),
            )  # fmt: skip
            self._hold()
        elif behaviour == "wrong_length":
            length = int(params["length"])
            self._send(
                handler, case.status, case.reason, headers, body, case.content_type, length=length
            )
            if params.get("then") == "hold":
                self._hold()
        elif behaviour == "reset":
            sent = int(params.get("send", 0))
            self._send(
                handler, case.status, case.reason, headers, body[:sent], case.content_type,
                length=len(body),
            )  # fmt: skip
            _reset(handler.connection)
        elif behaviour == "drip":
            self._drip(handler, case, headers, body)

    def _drip(
        self, handler: BaseHTTPRequestHandler, case: Case, headers: Mapping[str, str], body: bytes
    ) -> None:
        head = [f"HTTP/1.1 {case.status} {case.reason or HTTPStatus(case.status).phrase}"]
        if case.content_type is not None:
            head.append(f"Content-Type: {case.content_type}")
        head += [f"Content-Length: {len(body)}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if not case.params.get("headers"):
            handler.wfile.write(raw_head)
            handler.wfile.flush()
            raw_head = b""
        for byte in raw_head + body:
            if self.closing.wait(float(case.params.get("interval", _DRIP_INTERVAL))):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()

    def _serve_huge(
        self, handler: BaseHTTPRequestHandler, case: Case, headers: Mapping[str, str]
    ) -> None:
        size = int(case.params.get("size", 12_000_000))
        framing = case.params.get("framing", "length")
        handler.send_response_only(case.status, case.reason)
        handler.send_header("Connection", "close")
        if case.content_type is not None:
            handler.send_header("Content-Type", case.content_type)
        if framing == "length":
            handler.send_header("Content-Length", str(size))
        elif framing == "chunked":
            handler.send_header("Transfer-Encoding", "chunked")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        for piece in _huge_stream(size):
            if self.closing.is_set():
                return
            if framing == "chunked":
                piece = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            handler.wfile.write(piece)
        if framing == "chunked":
            handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()


def _reset(connection: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN (SO_LINGER 0)."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
