import pytest

from newsmon.web.links import web_url


@pytest.mark.parametrize("url", ["https://example.com/a?b=1", "http://x.org/", "HTTPS://X.ORG"])
def test_web_urls_are_kept(url: str) -> None:
    assert web_url(url) == url


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "", None, "/x"]
)
def test_anything_else_is_a_dead_link(url: str | None) -> None:
    assert web_url(url) == "#"
