"""A stored HTTP payload as the application saw it: de-chunked and content-decoded, bounded.

newsmon (and Common Crawl) store payloads already decoded and keep the original headers as
``X-Crawler-Content-Encoding`` / ``X-Crawler-Transfer-Encoding``; such a payload is used as
stored. Other crawlers (wget, warcio's capture, Heritrix) store the bytes as they came over the
wire, so ``Transfer-Encoding: chunked`` and ``Content-Encoding: gzip``/``deflate``/``br`` are
undone here, never past :data:`ingest.replay.items.MAX_BODY` bytes of output.
"""

import io
from typing import Any

from warcio.bufferedreaders import ChunkedDataReader

from ingest.decompress import InflateError, Inflater

PROBE = 512
"""Bytes decoded first: a payload failing here was never encoded (warcio's rule: a server that
says gzip and sends plain text is common); one failing later is damaged."""
_SUPPORTED = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br"}


class Unusable(Exception):
    """The payload cannot be used: ``reason`` is the skip word, ``detail`` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _header(headers: Any, name: str) -> str:
    return str(headers.get_header(name) or "") if headers is not None else ""


def content_encodings(headers: Any) -> list[str]:
    """The ``Content-Encoding`` layers still on the stored payload, in the order applied
    (none when ``X-Crawler-Content-Encoding`` says the payload was stored decoded)."""
    if _header(headers, "X-Crawler-Content-Encoding"):
        return []
    layers = [part.strip().lower() for part in _header(headers, "Content-Encoding").split(",")]
    return [layer for layer in layers if layer and layer != "identity"]


def is_chunked(headers: Any) -> bool:
    """Whether the stored payload is still chunked (``Transfer-Encoding: chunked``)."""
    if _header(headers, "X-Crawler-Transfer-Encoding"):
        return False
    parts = _header(headers, "Transfer-Encoding").lower().split(",")
    return "chunked" in (part.strip() for part in parts)


def needs_decoding(headers: Any) -> bool:
    """Whether :func:`decode` would change the payload (it has encodings to undo)."""
    return is_chunked(headers) or bool(content_encodings(headers))


def dechunk(raw: bytes) -> bytes:
    """``raw`` without its chunk framing; data that is not chunked after all is kept whole
    (warcio's fallback), and a last chunk cut short keeps what is there."""
    return bytes(ChunkedDataReader(io.BytesIO(raw)).read())


def inflate(data: bytes, encoding: str, limit: int) -> bytes:
    """``data`` with one ``Content-Encoding`` layer undone, at most ``limit`` bytes.

    An encoding warcio does not know either (``compress``, ``zstd``, or a charset someone put
    there) is left on, as warcio leaves it.

    Raises:
        Unusable: ``too-large`` past ``limit``; ``bad-encoding`` when the data stops decoding
            after its first bytes decoded.
    """
    kind = _SUPPORTED.get(encoding)
    if kind is None or not data:
        return data
    inflater = Inflater(kind, limit)
    try:
        try:
            head = inflater.feed(data[:PROBE])
        except InflateError:
            return data  # never encoded: stored as it is
        return head + inflater.feed(data[PROBE:])
    except OverflowError as exc:
        raise Unusable("too-large", f"over {limit} bytes once {encoding} is decoded") from exc
    except InflateError as exc:
        raise Unusable("bad-encoding", f"{encoding} data damaged: {exc}") from exc


def decode(raw: bytes, headers: Any, limit: int) -> bytes:
    """The payload ``raw`` (as stored under HTTP ``headers``) de-chunked and decoded.

    Raises:
        Unusable: see :func:`inflate`.
    """
    data = dechunk(raw) if is_chunked(headers) else raw
    for encoding in reversed(content_encodings(headers)):
        data = inflate(data, encoding, limit)
    return data
