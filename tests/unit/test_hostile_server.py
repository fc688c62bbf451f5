"""The hostile corpus: its manifest is complete and consistent, and the loopback server really
misbehaves the way each case says (stalls, drips, resets, redirects, bombs, huge bodies)."""

import email.utils
import hashlib
import re
import socket
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hostile_server import (
    BEHAVIOURS,
    CASES_DIR,
    GENERATORS,
    HOSTILE_DIR,
    Case,
    HostileServer,
    InternalServer,
    load_cases,
)

CASES = load_cases()
BY_ID = {case.id: case for case in CASES}

# The issue's list of hostile inputs, each with the tag its cases carry.
ISSUE_CATEGORIES = {
    "malformed XML": "xml",
    "wrong/missing/HTTP-only encodings": "encoding",
    "UTF-16": "utf-16",
    "entity expansion": "entity-expansion",
    "XXE": "xxe",
    "gzip bombs": "gzip",
    "huge bodies": "size",
    "slow and stalled servers": "timeout",
    "redirect loops": "redirect",
    "redirects to internal addresses": "ssrf",
    "4xx/5xx/429": "http-status",
    "Retry-After": "retry-after",
    "HTML instead of a feed": "html",
    "deep nesting": "nesting",
    "20,000-paragraph items": "paragraphs",
    "far-future and unparseable dates": "dates",
    "duplicate GUIDs": "duplicates",
    "script/event-handler/javascript: content": "markup",
    "console markup": "console",
    "control characters in titles": "control",
    "a healthy feed beside them": "healthy",
}


@pytest.fixture(scope="module")
def served() -> Iterator[HostileServer]:
    server = HostileServer(CASES)
    yield server
    server.close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5, max_redirects=5) as http:
        yield http


def one(case_id: str) -> HostileServer:
    """A server of its own for one case (for tests that hold or count connections)."""
    return HostileServer([BY_ID[case_id]])


# ---------------------------------------------------------------- the manifest


def test_manifest_has_enough_uniquely_named_cases() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 90
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_every_case_has_a_checkable_expectation(case: Case) -> None:
    expect = case.expect
    if "error" in expect:
        pattern = expect["error"]
        assert pattern.startswith(f"^feed '{case.id}': ") and pattern.endswith("$")
        re.compile(pattern)
        return
    assert isinstance(expect["articles"], int) and expect["articles"] >= 0
    if "titles" in expect:
        assert len(expect["titles"]) == expect["articles"]
    if "urls" in expect:
        assert len(expect["urls"]) == expect["articles"]
    if "notes" in expect:
        re.compile(expect["notes"])
    for key in ("skipped", "repaired"):
        assert all(isinstance(n, int) and n > 0 for n in expect.get(key, {}).values())


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_every_case_has_a_body_or_a_reason_not_to(case: Case) -> None:
    if case.file:
        assert (CASES_DIR / case.file).is_file()
    elif not case.generate:
        no_body = {"stall", "close", "gzip_bomb", "huge", "redirect", "redirect_loop"}
        assert case.url or case.status in (204, 304) or case.behaviour in no_body


@pytest.mark.parametrize(("category", "tag"), ISSUE_CATEGORIES.items())
def test_every_category_of_the_issue_has_cases(category: str, tag: str) -> None:
    assert any(tag in case.tags for case in CASES), category


def test_every_behaviour_and_generator_is_used() -> None:
    assert {case.behaviour for case in CASES} == BEHAVIOURS
    assert {case.generate for case in CASES if case.generate} == set(GENERATORS)


def test_no_article_link_is_shared_between_cases() -> None:
    """Article ids are hashes of links: a link in two feeds would make one look deduplicated."""
    owner: dict[str, str] = {}
    link = re.compile(
        r"<(?:link|guid)[^>]*>\s*(https?://[^<\s]+)\s*<|rel=\"alternate\"[^>]*href=\"(https?://[^\"]+)\""
    )
    for case in CASES:
        if not case.file:
            continue
        text = (CASES_DIR / case.file).read_bytes().decode("latin-1")
        for match in link.finditer(text):
            url = match.group(1) or match.group(2)
            if "/" not in url.split("://", 1)[1].rstrip("/"):
                continue  # a channel's home page, not an article
            assert owner.setdefault(url, case.id) == case.id, f"{url} in {owner[url]} and {case.id}"


def test_readme_counts_match_the_manifest() -> None:
    readme = (HOSTILE_DIR / "README.md").read_text(encoding="utf-8")
    assert f"{len(CASES)} cases" in readme


# ---------------------------------------------------------------- plain responses


def test_serves_bodies_with_their_status_type_and_headers(
    served: HostileServer, client: httpx.Client
) -> None:
    healthy = BY_ID["healthy-rss"]
    response = client.get(served.url(healthy))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert response.content == (CASES_DIR / str(healthy.file)).read_bytes()

    limited = client.get(served.url(BY_ID["http-429-retry-after-seconds"]))
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "120")
    assert client.get(served.url(BY_ID["http-204-no-content"])).content == b""
    assert client.get(served.url(BY_ID["http-404-custom-reason"])).reason_phrase.startswith(
        "[bold red]"
    )
    assert "Content-Type" not in client.get(served.url(BY_ID["http-type-missing"])).headers
    assert client.get(served.base + "/no/such/case").status_code == 404


def test_retry_after_dates_are_rendered_per_request(
    served: HostileServer, client: httpx.Client
) -> None:
    response = client.get(served.url(BY_ID["http-503-retry-after-date"]))
    when = email.utils.parsedate_to_datetime(response.headers["Retry-After"]).timestamp()
    assert 290 <= when - time.time() <= 305


def test_templated_bodies_and_urls_point_at_the_internal_server(
    served: HostileServer, client: httpx.Client
) -> None:
    body = client.get(served.url(BY_ID["xml-xxe-http"])).text
    assert f'"{served.internal.base}/xxe-entity"' in body and "{internal}" not in body
    assert served.url(BY_ID["ssrf-direct-localhost"]) == (
        f"http://localhost:{served.internal.port}/secret"
    )


def test_internal_server_counts_what_reaches_it() -> None:
    internal = InternalServer()
    try:
        assert (internal.connections, internal.hits) == (0, [])
        with socket.create_connection(("127.0.0.1", internal.port)):
            pass  # a connection without a request counts too
        with httpx.Client(trust_env=False) as http:
            assert "INTERNAL SECRET" in http.get(internal.base + "/secret").text
        assert internal.hits == ["/secret"]
        assert internal.connections == 2
    finally:
        internal.close()


# ---------------------------------------------------------------- redirects


def test_redirects_reach_their_target(served: HostileServer, client: httpx.Client) -> None:
    moved = client.get(served.url(BY_ID["redirect-301-permanent"]), follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["Location"] == served.base + "/redirect/301-new-home.xml"
    final = client.get(served.url(BY_ID["redirect-301-then-302"]), follow_redirects=True)
    assert [r.status_code for r in final.history] == [301, 302]
    assert b"<rss" in final.content
    chain = client.get(served.url(BY_ID["redirect-chain-5"]), follow_redirects=True)
    assert (chain.status_code, len(chain.history)) == (200, 5)
    relative = client.get(served.url(BY_ID["redirect-relative-location"]))
    assert relative.headers["Location"] == "/redirect/relative-target.xml"
    assert client.get(served.base + relative.headers["Location"]).status_code == 200


@pytest.mark.parametrize("case_id", ["redirect-chain-6", "redirect-loop", "redirect-self-loop"])
def test_redirect_chains_and_loops_exceed_five_hops(
    served: HostileServer, client: httpx.Client, case_id: str
) -> None:
    with pytest.raises(httpx.TooManyRedirects):
        client.get(served.url(BY_ID[case_id]), follow_redirects=True)


def test_ssrf_redirects_point_inside(served: HostileServer, client: httpx.Client) -> None:
    hop = client.get(served.url(BY_ID["ssrf-redirect-second-hop"]))
    second = client.get(hop.headers["Location"])
    assert second.headers["Location"] == served.internal.base + "/secret"
    mapped = client.get(served.url(BY_ID["ssrf-redirect-ipv4-mapped"]))
    assert mapped.headers["Location"] == f"http://[::ffff:127.0.0.1]:{served.internal.port}/secret"


# ---------------------------------------------------------------- slow and broken servers


def test_a_stall_holds_the_connection_without_blocking_close() -> None:
    server = one("timeout-no-response")
    with httpx.Client(trust_env=False, timeout=0.3) as http, pytest.raises(httpx.ReadTimeout):
        http.get(server.url(BY_ID["timeout-no-response"]))
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 2


def test_stall_body_sends_headers_then_hangs(served: HostileServer) -> None:
    case = BY_ID["timeout-stall-mid-body"]
    with (
        httpx.Client(trust_env=False, timeout=0.3) as http,
        http.stream("GET", served.url(case)) as response,
    ):
        assert int(response.headers["Content-Length"]) == len(served.body(case))
        with pytest.raises(httpx.ReadTimeout):
            response.read()


def test_wrong_length_hold_never_finishes(served: HostileServer) -> None:
    with httpx.Client(trust_env=False, timeout=0.3) as http, pytest.raises(httpx.ReadTimeout):
        http.get(served.url(BY_ID["timeout-wrong-length-hold"]))


def read_for(url: str, seconds: float) -> bytes:
    """Whatever a raw socket receives for a GET of ``url`` within ``seconds``."""
    parts = httpx.URL(url)
    received = b""
    with socket.create_connection((parts.host, int(parts.port or 80))) as sock:
        sock.sendall(f"GET {parts.raw_path.decode()} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                received += sock.recv(65536)
            except TimeoutError:
                break
    return received


def test_drip_sends_one_byte_every_half_second(served: HostileServer) -> None:
    head = read_for(served.url(BY_ID["timeout-drip-headers"]), 1.2)
    assert head in (b"H", b"HT", b"HTT")
    dripped = read_for(served.url(BY_ID["timeout-drip-body"]), 1.2)
    headers, _, body = dripped.partition(b"\r\n\r\n")
    assert headers.startswith(b"HTTP/1.1 200")
    assert 1 <= len(body) <= 3


@pytest.mark.parametrize(
    "case_id",
    [
        "http-reset-mid-body",
        "http-wrong-length-close",
        "http-early-close",
        "http-garbage-status-line",
        "http-huge-header",
    ],
)
def test_broken_responses_fail_the_client(
    served: HostileServer, client: httpx.Client, case_id: str
) -> None:
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get(served.url(BY_ID[case_id]))


@pytest.mark.parametrize("case_id", ["http-early-hints-then-200", "http-10-close-delimited"])
def test_raw_responses_that_are_valid(
    served: HostileServer, client: httpx.Client, case_id: str
) -> None:
    response = client.get(served.url(BY_ID[case_id]))
    assert response.status_code == 200
    assert response.content.rstrip().endswith(b"</rss>")


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("case_id", "wbits", "starts"),
    [
        ("size-gzip-bomb-zeros", 31, b"\x00" * 64),
        ("size-gzip-bomb-xml", 31, b"<?xml"),
        ("size-deflate-bomb", 15, b"\x00" * 64),
        ("size-gzip-bomb-nested", 31, b"\x1f\x8b"),
    ],
)
def test_compression_bombs_are_small_and_inflate_past_the_cap(
    served: HostileServer, client: httpx.Client, case_id: str, wbits: int, starts: bytes
) -> None:
    case = BY_ID[case_id]
    with client.stream("GET", served.url(case)) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["Content-Encoding"] == case.params["encoding"]
    assert len(raw) < 5_000_000
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(raw, 6_000_000)
    assert out.startswith(starts)
    if case_id.endswith("nested"):
        assert len(raw) < 50_000
        return
    assert len(raw) > 500_000 and len(out) == 6_000_000
    if wbits == 31:  # the gzip trailer declares the inflated size (mod 2**32)
        assert int.from_bytes(raw[-4:], "little") >= 1_000_000_000


@pytest.mark.parametrize(
    ("case_id", "header"),
    [
        ("size-huge-content-length", "Content-Length"),
        ("size-huge-chunked", "Transfer-Encoding"),
        ("size-huge-close-delimited", None),
    ],
)
def test_huge_bodies_are_twelve_megabytes(
    served: HostileServer, client: httpx.Client, case_id: str, header: str | None
) -> None:
    response = client.get(served.url(BY_ID[case_id]))
    assert len(response.content) == 12_000_000
    assert response.content.startswith(b"<?xml")
    framing = {"content-length", "transfer-encoding"} & set(response.headers.keys())
    assert framing == ({header.lower()} if header else set())


def test_generated_bodies_are_deterministic_and_sized() -> None:
    bodies = {kind: build() for kind, build in GENERATORS.items()}
    again = hashlib.sha256(GENERATORS["deep-nesting-escaped"]()).digest()
    assert hashlib.sha256(bodies["deep-nesting-escaped"]).digest() == again
    assert len(bodies["exact-cap"]) == 5_000_000
    assert len(bodies["over-cap"]) == 5_000_001
    assert 4_800_000 < len(bodies["big-item"]) < 5_000_000
    assert 2_200_000 < len(bodies["deep-nesting-escaped"]) < 2_500_000
    assert bodies["deep-nesting-escaped"].count(b"&lt;div&gt;") == 100_000
    assert bodies["deep-xml-elements"].count(b"<x:div>") == 100_000
    assert bodies["paragraphs-20000"].count(b"<p>") == 20_000
    assert len(bodies["paragraphs-20000"]) < 5_000_000
    assert bodies["items-5000"].count(b"<item>") == 5_000


def test_feeds_lists_every_case_once(served: HostileServer) -> None:
    feeds = served.feeds()
    assert len({name for name, _ in feeds}) == len({url for _, url in feeds}) == len(CASES)
    assert served.allow == f"127.0.0.1:{served.port}"


def test_every_stored_body_belongs_to_a_case() -> None:
    used = {Path(CASES_DIR / case.file).resolve() for case in CASES if case.file}
    stored = {path.resolve() for path in CASES_DIR.rglob("*") if path.is_file()}
    assert stored == used
