"""One HTTP exchange as WARC records, stored the way Common Crawl stores them.

The payload reaches the archive already decoded (newsmon decompresses bodies itself, within a
size cap), so the stored response headers must agree with it: ``Content-Encoding`` and
``Transfer-Encoding`` are kept only as ``X-Crawler-Content-Encoding`` and
``X-Crawler-Transfer-Encoding``, and ``Content-Length`` gives the stored payload's length (a
different original is kept as ``X-Crawler-Content-Length``). Every WARC reader then reads a
consistent message. HTTP/2 and HTTP/3 messages are written in HTTP/1.1 syntax, as readers expect,
with the protocol used in ``WARC-Protocol`` (``h2``), per the WARC field proposals and
Common Crawl's crawlers.
"""

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import quote, urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date

WARC_VERSION = "WARC/1.1"
_PROTOCOLS = {
    "HTTP/1.0": ("HTTP/1.0", "http/1.0"),
    "HTTP/1.1": ("HTTP/1.1", "http/1.1"),
    "HTTP/2": ("HTTP/1.1", "h2"),
    "HTTP/2.0": ("HTTP/1.1", "h2"),
    "HTTP/3": ("HTTP/1.1", "h3"),
}
_MASKED = {
    "content-encoding": "X-Crawler-Content-Encoding",
    "transfer-encoding": "X-Crawler-Transfer-Encoding",
}
_LINE_BREAKS = str.maketrans({"\r": " ", "\n": " ", "\0": " "})
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as the fetch code saw them.

    Header names and values are the bytes on the wire decoded as ISO-8859-1 (what
    ``k.decode("latin-1")`` gives for httpx's ``headers.raw``), so they are stored byte for byte.

    Attributes:
        url: the request's absolute URL (``WARC-Target-URI``).
        method: the request method (``GET``).
        request_headers: the request headers as sent.
        status: the response status code.
        reason: the reason phrase (the standard one when empty).
        http_version: the response's: ``HTTP/1.0``, ``HTTP/1.1``, ``HTTP/2`` or ``HTTP/3``.
            The request is written ``HTTP/1.1``, what newsmon's client (httpx) sends, even
            when a server answers ``HTTP/1.0``.
        response_headers: the response headers as received (``Content-Encoding: gzip`` too).
        body: the payload after decompression.
        fetched_at: when the response arrived (timezone-aware): ``WARC-Date``.
        ip_address: the server's address, if known (``WARC-IP-Address``).
    """

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    ip_address: str | None = None


class WireHeaders(StatusAndHeaders):  # type: ignore[misc]  # warcio has no type hints
    """HTTP headers serialised as ISO-8859-1, so the bytes received are the bytes stored.

    warcio percent-encodes every non-ASCII value, which would change a header newsmon received.
    A value that ISO-8859-1 cannot encode (not from the wire) is left to warcio's encoding.
    """

    def to_ascii_bytes(self, filter_func: Any = None) -> bytes:
        try:
            return bytes(self.to_str(filter_func).encode("latin-1") + b"\r\n")
        except UnicodeEncodeError:
            return bytes(super().to_ascii_bytes(filter_func))


def warc_date(moment: datetime) -> str:
    """``moment`` as a WARC/1.1 date (UTC, microseconds when there are any).

    Raises:
        ValueError: a naive datetime (its zone would be a guess).
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; give UTC")
    return str(datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def target_uri(url: str) -> str:
    """``url`` as a URI for a WARC header: spaces, controls and non-ASCII percent-encoded (an
    already encoded URL is unchanged)."""
    return quote(url, safe=_URI_SAFE)


def stored_response_headers(
    headers: list[tuple[str, str]], payload_length: int
) -> list[tuple[str, str]]:
    """The response headers as stored with a decoded payload of ``payload_length`` bytes.

    ``Content-Encoding`` and ``Transfer-Encoding`` become ``X-Crawler-...``; ``Content-Length``
    is kept when it is the single, right value, otherwise it becomes
    ``X-Crawler-Content-Length`` and the right ``Content-Length`` follows it (or ends the
    headers when there was none). Line breaks in names or values become spaces, so a header
    can never end the HTTP header block early.
    """
    lengths = [value.strip() for name, value in headers if name.lower() == "content-length"]
    keep_length = lengths == [str(payload_length)]
    stored: list[tuple[str, str]] = []
    length_added = keep_length
    for name, value in headers:
        name, value = name.translate(_LINE_BREAKS), value.translate(_LINE_BREAKS)
        lower = name.lower()
        if lower in _MASKED:
            stored.append((_MASKED[lower], value))
        elif lower == "content-length" and not keep_length:
            stored.append(("X-Crawler-Content-Length", value))
            if not length_added:
                stored.append(("Content-Length", str(payload_length)))
                length_added = True
        else:
            stored.append((name, value))
    if not length_added:
        stored.append(("Content-Length", str(payload_length)))
    return stored


def _request_line(exchange: Exchange, uri: str) -> str:
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    method = exchange.method.translate(_LINE_BREAKS).replace(" ", "") or "GET"
    return f"{method} {target} HTTP/1.1"


def _status_line(exchange: Exchange) -> str:
    if not 100 <= exchange.status <= 999:
        raise ValueError(f"HTTP status {exchange.status} out of range")
    reason = exchange.reason.translate(_LINE_BREAKS).strip()
    if not reason:
        try:
            reason = HTTPStatus(exchange.status).phrase
        except ValueError:
            reason = ""
    return f"{exchange.status} {reason}".rstrip()


def exchange_records(builder: RecordBuilder, exchange: Exchange, warcinfo_id: str) -> list[Any]:
    """The ``request`` and ``response`` records of ``exchange``, digests computed.

    Args:
        builder: the writer making the records (its WARC version).
        exchange: what was sent and received.
        warcinfo_id: the ``WARC-Record-ID`` of the file's warcinfo record.

    Returns:
        ``[request, response]``, for warcio's ``write_request_response_pair`` (which adds
        ``WARC-Concurrent-To`` on the request, pointing at the response).

    Raises:
        ValueError: an exchange that cannot be stored (unknown HTTP version, naive date, bad
            status).
    """
    if exchange.http_version.upper() not in _PROTOCOLS:
        raise ValueError(f"unknown HTTP version {exchange.http_version!r}")
    version_text, protocol = _PROTOCOLS[exchange.http_version.upper()]
    uri = target_uri(exchange.url)
    fields = {  # the usual order: type, id, date, URI first
        "WARC-Type": "",
        "WARC-Record-ID": "",
        "WARC-Date": warc_date(exchange.fetched_at),
        "WARC-Target-URI": uri,
        "WARC-Warcinfo-ID": warcinfo_id,
        "WARC-Protocol": protocol,
    }
    if exchange.ip_address:
        fields["WARC-IP-Address"] = exchange.ip_address.translate(_LINE_BREAKS).strip()
    request_headers = [
        (name.translate(_LINE_BREAKS), value.translate(_LINE_BREAKS))
        for name, value in exchange.request_headers
    ]
    asked = "http/1.1" if protocol.startswith("http/1") else protocol  # see http_version
    request = builder.create_warc_record(
        uri,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        warc_headers_dict=fields
        | {"WARC-Record-ID": StatusAndHeadersParser.make_warc_id(), "WARC-Protocol": asked},
        http_headers=WireHeaders(
            _request_line(exchange, uri), request_headers, is_http_request=True
        ),
    )
    response = builder.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),
        warc_headers_dict=fields | {"WARC-Record-ID": StatusAndHeadersParser.make_warc_id()},
        http_headers=WireHeaders(
            _status_line(exchange),
            stored_response_headers(exchange.response_headers, len(exchange.body)),
            protocol=version_text,
        ),
    )
    for record in (request, response):
        builder.ensure_digest(record, block=True, payload=True)
    return [request, response]


def warcinfo_record(
    builder: RecordBuilder, filename: str, kind: str, hostname: str, when: datetime
) -> Any:
    """The record that opens each file: what wrote it, in which format, on which host."""
    info = {
        "software": f"newsmon/{_version('newsmon')} (warcio/{_version('warcio')})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
        "warc-format/warc-1.1/",
        "hostname": hostname,
        "isPartOf": f"newsmon-{kind}",
        "description": "HTTP responses newsmon received, payloads stored decoded "
        "(the original encoding headers kept as X-Crawler-*)",
    }
    record = builder.create_warcinfo_record(filename, info)
    record.rec_headers.replace_header("WARC-Date", warc_date(when))
    return record


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"
