"""Versions of the article index: ``<alias>-vN`` behind the alias, for ``newsmon reindex``.

A new version is created from the current index template (its pattern ``<alias>-v*`` covers
every version) and filled beside the live one; one ``_aliases`` request then removes the alias
from the old index and adds it to the new one, atomically, so no search ever runs against
neither. The old index is kept until dropped.
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError

from contract import Article, ConfigError
from sinks.documents import from_document
from sinks.elasticsearch.errors import is_transient, transient_errors
from sinks.elasticsearch.index import english_analysis
from sinks.elasticsearch.mapping import index_template
from sinks.elasticsearch.subscriptions import es_query
from sinks.elasticsearch.writer import ElasticsearchSink

PAGE = 1000


class IndexVersions:
    """:class:`sinks.article_versions.ArticleVersions` of the indices behind ``alias``."""

    def __init__(self, es: Elasticsearch, alias: str) -> None:
        self.es = es
        self.alias = alias

    def _number(self, index: str) -> int | None:
        found = re.fullmatch(rf"{re.escape(self.alias)}-v(\d+)", index)
        return int(found.group(1)) if found else None

    def live(self) -> str:
        """The alias's write index."""
        with transient_errors(f"reading alias {self.alias}"):
            try:
                info = self.es.indices.get_alias(name=self.alias)
            except NotFoundError as exc:
                raise ConfigError(
                    f"no index behind alias {self.alias}: nothing has been indexed yet"
                ) from exc
        return next(
            (
                str(index)
                for index, body in info.items()
                if body["aliases"][self.alias].get("is_write_index", len(info) == 1)
            ),
            str(next(iter(info))),
        )

    def versions(self) -> list[str]:
        """Every ``<alias>-vN`` index, oldest first."""
        with transient_errors(f"listing {self.alias}-v*"):
            found = self.es.indices.get_alias(index=f"{self.alias}-v*", allow_no_indices=True)
        numbered = [(n, str(i)) for i in found if (n := self._number(str(i))) is not None]
        return [index for _, index in sorted(numbered)]

    def create(self) -> str:
        """A new empty index after the newest, from the current template; indices newer than
        the live one (builds never swapped in) are deleted first."""
        live = self.live()
        live_number = self._number(live) or 0
        with transient_errors(f"creating the next version of {self.alias}"):
            self.es.indices.put_index_template(
                name=self.alias, **index_template(self.alias, english_analysis(self.es))
            )
            versions = self.versions()
            for index in versions:
                if (self._number(index) or 0) > live_number:
                    self.es.indices.delete(index=index)
            kept = [n for i in versions if (n := self._number(i) or 0) <= live_number]
            newest = max([live_number, *kept])
            name = f"{self.alias}-v{newest + 1}"
            self.es.indices.create(index=name)
        return name

    def sink(self, version: str) -> ElasticsearchSink:
        """The bulk writer pointed at the concrete index ``version``."""
        return ElasticsearchSink(self.es, version)

    def ready(self, version: str) -> None:
        """Refresh ``version`` so what was written is searchable."""
        with transient_errors(f"refreshing {version}"):
            self.es.indices.refresh(index=version)

    def count(self, version: str) -> int:
        """Documents in ``version``."""
        with transient_errors(f"counting {version}"):
            return int(self.es.count(index=version)["count"])

    def _scan(self, version: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        after: list[Any] | None = None
        while True:
            page: dict[str, Any] = {"search_after": after} if after else {}
            with transient_errors(f"reading {version}"):
                response = self.es.search(
                    index=version, query=query, sort=[{"id": "asc"}], size=PAGE, **page
                )
            hits = response["hits"]["hits"]
            for hit in hits:
                yield hit["_source"]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def read(self, version: str) -> Iterator[Article]:
        """Every article of ``version``, by id."""
        return (from_document(doc) for doc in self._scan(version, {"match_all": {}}))

    def written_since(self, version: str, since: datetime) -> Iterator[Article]:
        """Articles of ``version`` with ``indexed_at`` at or after ``since``."""
        query = {"range": {"indexed_at": {"gte": since.astimezone(UTC).isoformat()}}}
        return (from_document(doc) for doc in self._scan(version, query))

    def written_at(self, version: str, ids: Sequence[str]) -> dict[str, datetime]:
        """``indexed_at`` of each of ``ids`` stored in ``version``."""
        found: dict[str, datetime] = {}
        for start in range(0, len(ids), PAGE):
            with transient_errors(f"reading {version}"):
                response = self.es.mget(
                    index=version, ids=list(ids[start : start + PAGE]), source=["indexed_at"]
                )
            for doc in response["docs"]:
                at = doc.get("_source", {}).get("indexed_at") if doc.get("found") else None
                if at:
                    found[str(doc["_id"])] = datetime.fromisoformat(at)
        return found

    def match_counts(self, version: str, queries: Mapping[str, str]) -> dict[str, int]:
        """``_count`` of each query on ``version`` (a query the cluster refuses counts 0)."""
        counts = {}
        for sid, query in queries.items():
            try:
                with transient_errors(f"counting {version}"):
                    counts[sid] = int(self.es.count(index=version, query=es_query(query))["count"])
            except ApiError as exc:
                if is_transient(exc):
                    raise
                counts[sid] = 0
        return counts

    def swap(self, old: str, new: str) -> None:
        """Move the alias from ``old`` to ``new`` (the write index) in one ``_aliases`` request."""
        with transient_errors(f"moving alias {self.alias} to {new}"):
            self.es.indices.update_aliases(
                actions=[
                    {"remove": {"index": old, "alias": self.alias}},
                    {"add": {"index": new, "alias": self.alias, "is_write_index": True}},
                ]
            )

    def drop(self, version: str) -> None:
        """Delete the index ``version``; never the live one."""
        if version == self.live():
            raise ConfigError(f"{version} is the live version")
        with transient_errors(f"deleting {version}"):
            self.es.indices.delete(index=version)
