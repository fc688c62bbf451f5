"""Canonical URLs and the stable article id derived from them.

The id is the Elasticsearch ``_id`` and the Kafka key, so the same story fetched twice, replayed
from an archive, or redelivered by Kafka always lands on the same document.
"""

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "cmpid",
        "ocid",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "sr_share",
        "at_medium",
        "at_campaign",
        "ref",
        "ref_src",
        "smid",
        "taid",
        "rss",
        "cid",
        "guccounter",
    }
)
TRACKING_PREFIXES = ("utm_", "__twitter", "_ga", "pk_", "piwik_", "mtm_", "hmb_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lower = name.lower()
    return lower in TRACKING_PARAMS or lower.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return ``url`` with tracking parameters, fragment, default port and case noise removed.

    Scheme and host are lower-cased, ``www.`` is kept (sites differ), the remaining query
    parameters are sorted so their order does not matter, and an empty path becomes ``/``.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    )
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def article_id(url: str) -> str:
    """A stable id for an article: the first 32 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:32]
