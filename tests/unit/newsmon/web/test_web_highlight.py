from markupsafe import Markup

from newsmon.web.highlight import highlighted


def test_terms_are_marked_whole_words_from_their_start() -> None:
    sentence = "Allies lift limits on weapons; a ceasefire? Ceasefires."
    html = highlighted(sentence, ["weapon", "ceasefire"])
    assert str(html) == (
        "Allies lift limits on <mark>weapons</mark>; a <mark>ceasefire</mark>? "
        "<mark>Ceasefires</mark>."
    )


def test_a_term_inside_a_word_is_not_marked() -> None:
    assert str(highlighted("antiweapons", ["weapons"])) == "antiweapons"


def test_feed_text_is_escaped_and_never_markup() -> None:
    html = highlighted('<script>alert("x")</script> weapons & <b>', ["weapons", "<b>"])
    assert isinstance(html, Markup)
    assert str(html) == (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; <mark>weapons</mark> &amp; "
        "<mark>&lt;b&gt;</mark>"
    )


def test_no_terms_is_the_escaped_sentence() -> None:
    assert str(highlighted("a < b", [])) == "a &lt; b"
