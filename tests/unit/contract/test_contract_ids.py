"""Canonical URLs and article ids: tracking noise removed, real differences kept."""

import pytest

from contract import article_id, canonical_url

BASE = "https://example.com/world/story?id=7&page=2"


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/world/story?id=7&page=2&utm_source=rss&utm_medium=feed",
        "https://example.com/world/story?fbclid=IwAR0abc&id=7&page=2",
        "https://example.com/world/story?id=7&page=2#comments",
        "https://example.com/world/story?page=2&id=7",
        "https://example.com:443/world/story?id=7&page=2",
        "HTTPS://EXAMPLE.COM/world/story?id=7&page=2",
        "  https://example.com/world/story?id=7&page=2\n",
        "https://Example.com:443/world/story?UTM_Campaign=x&page=2&gclid=1&id=7#top",
    ],
)
def test_noise_does_not_change_the_id(variant: str) -> None:
    assert canonical_url(variant) == BASE
    assert article_id(variant) == article_id(BASE)


def test_default_http_port_and_empty_path() -> None:
    assert canonical_url("http://Example.com:80") == "http://example.com/"
    assert canonical_url("http://example.com:8080/a") == "http://example.com:8080/a"


@pytest.mark.parametrize(
    "other",
    [
        "https://example.com/world/story?id=8&page=2",
        "https://example.com/world/story?id=7&page=3",
        "https://example.com/world/story?id=7",
        "https://example.com/world/Story?id=7&page=2",
        "http://example.com/world/story?id=7&page=2",
        "https://www.example.com/world/story?id=7&page=2",
        "https://example.com:8443/world/story?id=7&page=2",
        "https://example.org/world/story?id=7&page=2",
    ],
)
def test_different_urls_get_different_ids(other: str) -> None:
    assert article_id(other) != article_id(BASE)


def test_id_is_32_hex_digits() -> None:
    value = article_id(BASE)
    assert len(value) == 32
    int(value, 16)
