"""HTML to plain text."""

import pytest

from ingest import html_to_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("", ""),
        ("plain   text\n here", "plain text here"),
        ("<p>One</p><p>Two &amp; <b>three</b></p>", "One\nTwo & three"),
        ("Line<br>break<br/>again", "Line\nbreak\nagain"),
        ("<script>alert(1)</script><style>p {}</style>kept", "kept"),
        ("caf&eacute; &#8212; &quot;q&quot;&nbsp;x", 'café — "q" x'),
        ("<ul><li>a</li><li>b</li></ul>", "a\nb"),
        ("<!-- hidden -->visible", "visible"),
        ("<div>\n  <p>  spaced\n\n   out  </p>\n</div>", "spaced out"),
        ("a < b and c > d", "a < b and c > d"),
        ("AT&T", "AT&T"),
        ("<h1>Head</h1>body <a href='x'>link</a>.", "Head\nbody link."),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text
