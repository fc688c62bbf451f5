"""Running :func:`ingest.extract.extract_page` for the full-text stage: in worker processes
with a time and memory budget (a page is hostile input, and lxml has inputs it is slow on), or
inline in a thread (tests, ``newsmon extract`` on a file)."""

import asyncio

from ingest.extract import PageExtract, extract_page
from ingest.fulltext import ExtractFailed
from ingest.workers import BudgetExceeded, BudgetPool, Closing


class InlineExtractor:
    """Extracts in a thread of this process: no budget."""

    async def __call__(self, body: bytes, url: str, content_type: str | None) -> PageExtract:
        try:
            return await asyncio.to_thread(extract_page, body, url, content_type)
        except ValueError as exc:
            raise ExtractFailed("empty", str(exc)) from exc


class IsolatedExtractor(Closing):
    """Extracts in worker processes, each page within ``seconds`` and ``memory`` bytes.

    Raises (from calls):
        ExtractFailed: ``budget`` (over time or memory, or the worker died), ``empty`` (no
            usable body) or ``extract`` (the extractor failed on this page).
    """

    def __init__(self, workers: int = 2, seconds: float = 10.0, memory: int = 512 * 2**20):
        self.pool = BudgetPool(workers, seconds, memory)

    async def __call__(self, body: bytes, url: str, content_type: str | None) -> PageExtract:
        try:
            return await self.pool.run(extract_page, body, url, content_type)
        except BudgetExceeded as exc:
            raise ExtractFailed("budget", f"extraction {exc.detail}") from exc
        except ValueError as exc:
            raise ExtractFailed("empty", str(exc)) from exc
        except Exception as exc:  # an extractor bug on one page must not stop the others
            raise ExtractFailed(
                "extract", f"extraction failed: {type(exc).__name__}: {exc}"
            ) from exc

    def close(self) -> None:
        """Kill the workers."""
        self.pool.close()
