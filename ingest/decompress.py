"""Content-Encoding decoded within a size cap: a compression bomb costs what the cap allows.

httpx decompresses each received chunk whole (a 64 KB chunk of a gzip bomb is 64 MB, and
``Content-Encoding: gzip, gzip`` inflates the inner layer a GiB at once). Here every layer is
asked for at most one byte more than the cap, so the cap is never exceeded in memory.
"""

import zlib

import brotli

ACCEPT_ENCODING = "gzip, deflate, br"
"""What :class:`Inflater` decodes; a server sending anything else fails the fetch clearly."""

InflateError = (zlib.error, brotli.error)
"""A body that its Content-Encoding does not describe."""


class Inflater:
    """One Content-Encoding layer, decompressed incrementally and never past ``limit`` bytes:
    a 1 GB gzip bomb costs at most ``limit`` bytes of memory, whatever its layers."""

    def __init__(self, encoding: str, limit: int) -> None:
        if encoding not in ("gzip", "x-gzip", "deflate", "br"):
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")
        self.brotli = brotli.Decompressor() if encoding == "br" else None
        self.deflate = encoding == "deflate"
        self.limit = limit
        self.produced = 0
        self.first = True
        self.engine_bits = zlib.MAX_WBITS if self.deflate else 16 + zlib.MAX_WBITS
        self.engine = zlib.decompressobj(self.engine_bits)

    def feed(self, data: bytes) -> bytes:
        room = self.limit - self.produced + 1  # one byte over the limit tells it is too large
        if not data:
            return b""
        if self.brotli is not None:
            return self._count(self._unbrotli(data, room))
        try:
            out = self.engine.decompress(data, room)
        except zlib.error:
            if not (self.deflate and self.first):
                raise
            self.engine_bits = -zlib.MAX_WBITS  # raw deflate, no zlib header
            self.engine = zlib.decompressobj(self.engine_bits)
            out = self.engine.decompress(data, room)
        self.first = False
        while self.engine.eof and self.engine.unused_data and len(out) < room:
            # another gzip member follows (concatenated gzip is one valid body)
            rest = self.engine.unused_data
            self.engine = zlib.decompressobj(self.engine_bits)
            out += self.engine.decompress(rest, room - len(out))
        return self._count(out)

    def _unbrotli(self, data: bytes, room: int) -> bytes:
        assert self.brotli is not None
        # The output buffer stops growing at ``room``; more output waits in the decoder, and
        # ``room`` is one byte over the cap, so reaching it is already the end.
        return bytes(self.brotli.process(data, output_buffer_limit=room))

    def _count(self, out: bytes) -> bytes:
        self.produced += len(out)
        if self.produced > self.limit:
            raise OverflowError(self.limit)
        return out
