"""One wire story on three sites, and a French article, through Kafka, faust and Elasticsearch:
the copies are one story, the exact copy is marked, the French article is flagged, not tagged."""

from collections.abc import Callable
from html import escape
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from feedserver import FeedServer, rss_xml
from local_stack import AppConfig, get_document, stop_process, wait_for

from contract import article_id

pytestmark = pytest.mark.e2e

WIRE = [
    "Russian forces struck the port of Odesa overnight with drones and missiles, damaging grain "
    "silos and a passenger terminal, regional governor Oleh Kiper said on Tuesday.",
    "Two people were wounded and a fire at the grain terminal burned for several hours before "
    "rescuers put it out, the State Emergency Service said in a statement.",
    "Ukraine's air force said it shot down 31 of the 40 drones launched from Russia's Kursk "
    "region and the annexed Crimean peninsula, and two of the four missiles.",
    "Odesa's ports handle most of Ukraine's grain exports, and the attack was the third on the "
    "city's port infrastructure this month, officials said.",
]
FRENCH = (
    "Le gouvernement français a annoncé mardi de nouvelles sanctions contre plusieurs banques "
    "russes, affirmant que la guerre en Ukraine ne pouvait pas rester sans réponse de l'Europe."
)


def _html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def test_copies_are_one_story_and_languages_are_flagged(
    app_config: Callable[..., AppConfig],
    es: Elasticsearch,
    feed_server: FeedServer,
    tmp_path: Path,
) -> None:
    config = app_config()
    alias = config.env["NEWSMON_INDEX_ALIAS"]
    links = {
        "wire": feed_server.url("/a/odesa-port-strike"),
        "copy": feed_server.url("/b/drones-hit-odesa"),
        "edited": feed_server.url("/c/russia-strikes-odesa-port"),
        "french": feed_server.url("/a/sanctions-banques"),
    }
    items = {
        "wire": ("Russian drones and missiles hit Odesa port", _html(WIRE)),
        "copy": ("Odesa port attacked overnight", _html(WIRE)),
        "edited": (
            "Odesa grain terminal ablaze after Russian strike",
            _html([*WIRE[:1], *WIRE[2:], "Kyiv said the attack showed Moscow wanted no truce."]),
        ),
        "french": ("Nouvelles sanctions contre la Russie", _html([FRENCH])),
    }
    feeds_yaml = []
    for site, keys in (("a", ["wire", "french"]), ("b", ["copy"]), ("c", ["edited"])):
        entries = [
            {"title": items[k][0], "link": links[k], "description": items[k][1]} for k in keys
        ]
        url = feed_server.add(f"/feeds/{site}.xml", rss_xml(entries, title=f"Site {site}"))
        feeds_yaml.append(f"- name: Site {site}\n  url: {url}\n  interval: 60\n")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("".join(feeds_yaml))

    assert config.poll_once(feeds)["published"] == 4
    workers = config.start_workers(tmp_path)
    try:
        ids = {k: article_id(v) for k, v in links.items()}

        def all_indexed() -> dict[str, dict[str, object]] | None:
            docs = {k: get_document(es, alias, i) for k, i in ids.items()}
            return docs if all(docs.values()) else None  # type: ignore[return-value]

        docs = wait_for(all_indexed, 240, "4 documents", every=1)
        assert isinstance(docs, dict)
        copies = [docs[k] for k in ("wire", "copy", "edited")]
        story = copies[0]["story_id"]
        assert story in {ids["wire"], ids["copy"], ids["edited"]}
        assert [d["story_id"] for d in copies] == [story] * 3
        # Exactly one of the two identical texts points at the other.
        marked = {k for k in ("wire", "copy") if docs[k]["duplicate_of"]}
        assert len(marked) == 1
        (copy,) = marked
        other = "copy" if copy == "wire" else "wire"
        assert docs[copy]["duplicate_of"] == ids[other]
        assert docs["edited"]["duplicate_of"] is None
        assert docs["wire"]["content_hash"] == docs["copy"]["content_hash"]
        assert "Odesa" in docs["edited"]["entities"]

        french = docs["french"]
        assert (french["language"], french["flags"]) == ("fr", ["unsupported-language"])
        assert french["entities"] == [] and french["topics"] == []
        assert french["story_id"] == ids["french"]

        es.indices.refresh(index=alias)
        stories = es.search(
            index=alias, size=0, aggs={"stories": {"cardinality": {"field": "story_id"}}}
        )
        assert stories["aggregations"]["stories"]["value"] == 2
    finally:
        tails = {name: stop_process(proc, log) for name, (proc, log) in workers.items()}
    for name, (proc, _) in workers.items():
        assert proc.returncode in (0, -15, 143), f"{name} exit {proc.returncode}:\n{tails[name]}"
