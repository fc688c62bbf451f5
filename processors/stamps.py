"""Version stamps of the data files a tag depends on (taxonomy, gazetteer).

A stamp is the file's declared version plus a short hash of its bytes, e.g. ``"1.1.0+3f9a0c1e"``:
an edited file whose declared version was not bumped still gets a different stamp, so every
stored article says exactly which rules made its tags (what ``newsmon reindex`` compares).
"""

import hashlib

DIGEST_CHARS = 8


def stamp(declared: str, content: bytes) -> str:
    """``declared`` plus ``+`` and the first :data:`DIGEST_CHARS` hex digits of SHA-256."""
    return f"{declared}+{hashlib.sha256(content).hexdigest()[:DIGEST_CHARS]}"
