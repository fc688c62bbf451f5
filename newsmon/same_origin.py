"""Refuse writes a browser makes on behalf of another site (cross-site request forgery).

``newsmon api`` and the web view of ``newsmon run`` listen on the operator's machine without
authentication (step 9 adds it); any page the operator visits could otherwise make their
browser post a form, or a ``text/plain`` body that ``POST /subscriptions`` reads as YAML, to
``127.0.0.1:8700``. Browsers say where a request comes from (``Sec-Fetch-Site``, ``Origin``);
a write from another origin is refused. Clients that are not browsers (curl, scripts) send
neither header and are unaffected.
"""

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

_FOREIGN = {"cross-site", "same-site"}  # same-site: another port or subdomain of this host


def same_origin(request: Request) -> None:
    """A FastAPI dependency: 403 when a browser says the request comes from another origin.

    Raises:
        HTTPException: 403, naming the origin refused.
    """
    fetch_site = request.headers.get("sec-fetch-site", "").lower()
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if fetch_site in _FOREIGN:
        raise HTTPException(403, f"refused: a {fetch_site} request from {origin or 'a page'}")
    if origin is not None and origin != "null" and urlsplit(origin).netloc != host:
        raise HTTPException(403, f"refused: origin {origin} is not this server ({host})")
    if origin == "null":
        raise HTTPException(403, "refused: a request from an opaque origin (null)")
