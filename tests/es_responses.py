"""Elasticsearch error objects as the client raises them, for tests of error routing."""

from typing import Any

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, BadRequestError


def api_error(status: int, body: dict[str, Any] | None = None) -> ApiError:
    """The exception the client raises for an HTTP ``status`` answer with ``body``."""
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "localhost", 9200),
    )
    error = BadRequestError if status == 400 else ApiError
    return error(f"status {status}", meta, body or {})
