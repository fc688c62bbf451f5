"""What `newsmon tag` makes of one input: plain text or a JSON object."""

import orjson
import pytest

from contract import PoisonMessage, article_id
from newsmon.tagging import article_from_input


def test_plain_text() -> None:
    article = article_from_input("  Troops withdrew from the border.\n")
    assert article.text == "Troops withdrew from the border."
    assert article.title == ""
    assert article.url.startswith("urn:newsmon:text:")
    assert article.id == article_id(article.url)
    assert article.source == "stdin"


def test_plain_text_starting_with_a_bracket_stays_text() -> None:
    article = article_from_input("[UPDATED] Troops withdrew.")
    assert article.text == "[UPDATED] Troops withdrew."


def test_json_with_title_text_and_url() -> None:
    raw = orjson.dumps(
        {
            "title": "Ceasefire agreed",
            "text": "Both sides agreed.",
            "url": "https://Example.com/a?utm_source=x#top",
            "source": "Wire",
            "unknown": "ignored",
        }
    ).decode()
    article = article_from_input(raw, where="file.jsonl line 3")
    assert (article.title, article.text, article.source) == (
        "Ceasefire agreed",
        "Both sides agreed.",
        "Wire",
    )
    assert article.url == "https://example.com/a"
    assert article.id == article_id("https://example.com/a")


def test_json_without_source_uses_where() -> None:
    assert article_from_input('{"text": "x"}', where="stdin line 2").source == "stdin line 2"


@pytest.mark.parametrize("raw", ['[{"title": "x"}]', "[]", '["a", "b"]'])
def test_json_array_is_poison(raw: str) -> None:
    with pytest.raises(PoisonMessage, match="JSON object"):
        article_from_input(raw)


def test_invalid_json_is_poison() -> None:
    with pytest.raises(PoisonMessage, match="invalid JSON") as caught:
        article_from_input('{"title": ')
    assert caught.value.payload == b'{"title": '


@pytest.mark.parametrize("field", ["title", "text", "summary"])
def test_non_string_field_is_poison_naming_it(field: str) -> None:
    with pytest.raises(PoisonMessage) as caught:
        article_from_input(orjson.dumps({field: 42}).decode())
    assert caught.value.field == field
    assert repr(field) in str(caught.value)


def test_invalid_published_is_poison() -> None:
    with pytest.raises(PoisonMessage, match="published"):
        article_from_input('{"text": "x", "published": "last tuesday-ish"}')


def test_same_input_same_id() -> None:
    assert article_from_input("Same words.").id == article_from_input("Same words.").id
    assert article_from_input("Same words.").id != article_from_input("Other words.").id
    raw = '{"title": "T", "text": "X"}'
    assert article_from_input(raw).id == article_from_input(raw).id
    assert article_from_input(raw).id != article_from_input('{"title": "T2", "text": "X"}').id
