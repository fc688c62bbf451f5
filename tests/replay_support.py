"""WARC files written with warcio as other crawlers write them (payloads as received: chunked
and gzip-encoded when the server sent them so), for the replay readers' tests."""

import gzip
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from ingest.replay.items import ReplayItem, Skipped

DATA = Path(__file__).resolve().parent / "data" / "warc"


@dataclass
class Response:
    """One HTTP 200 (or other) exchange to archive: a request record and a response record."""

    url: str
    body: bytes
    when: datetime
    content_type: str = "text/html"
    status: str = "200 OK"
    gzip_chunked: bool = False
    headers: list[tuple[str, str]] = field(default_factory=list)


def chunked(data: bytes, size: int = 1000) -> bytes:
    """``data`` in HTTP/1.1 chunked framing."""
    out = io.BytesIO()
    for start in range(0, len(data), size):
        piece = data[start : start + size]
        out.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    out.write(b"0\r\n\r\n")
    return out.getvalue()


def write_warc(path: Path, responses: Iterable[Response], *, compress: bool = True) -> Path:
    """A WARC/1.1 file as a crawler that stores payloads as received writes it: a warcinfo,
    then a request and a response record per exchange."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=compress, warc_version="WARC/1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for response in responses:
            date = datetime_to_iso_date(response.when.replace(tzinfo=None), use_micros=True)
            headers = [("Content-Type", response.content_type), *response.headers]
            payload = response.body
            if response.gzip_chunked:
                payload = chunked(gzip.compress(payload))
                headers += [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
            else:
                headers.append(("Content-Length", str(len(payload))))
            http = StatusAndHeaders(response.status, headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                response.url,
                "response",
                payload=io.BytesIO(payload),
                length=len(payload),
                warc_headers_dict={"WARC-Date": date},
                http_headers=http,
            )
            host = response.url.split("/")[2]
            request = writer.create_warc_record(
                response.url,
                "request",
                payload=io.BytesIO(b""),
                length=0,
                warc_headers_dict={"WARC-Date": date},
                http_headers=StatusAndHeaders(
                    "GET / HTTP/1.1", [("Host", host)], is_http_request=True
                ),
            )
            writer.write_request_response_pair(request, record)
    return path


def reasons(items: Iterable[ReplayItem]) -> list[str]:
    """Each item's kind: the class name, or ``skip:<reason>``."""
    return [f"skip:{i.reason}" if isinstance(i, Skipped) else type(i).__name__ for i in items]
