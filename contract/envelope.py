"""The dead-letter envelope: what failed, where, and the original payload, as versioned JSON."""

import base64
from datetime import UTC, datetime

from pydantic import BaseModel, Field

ENVELOPE_SCHEMA_VERSION = 1


class ErrorEnvelope(BaseModel):
    """One message that a stage gave up on, published to ``news.dlq``."""

    schema_version: int = ENVELOPE_SCHEMA_VERSION
    stage: str
    error: str
    error_type: str
    source: str = Field(description="topic, feed or file the message came from")
    key: str | None = None
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    payload_b64: str = ""

    @classmethod
    def wrap(
        cls, stage: str, error: BaseException, source: str, payload: bytes, key: str | None = None
    ) -> "ErrorEnvelope":
        """Build an envelope for ``error`` raised while ``stage`` handled ``payload``."""
        return cls(
            stage=stage,
            error=str(error),
            error_type=type(error).__name__,
            source=source,
            key=key,
            payload_b64=base64.b64encode(payload).decode(),
        )

    def payload(self) -> bytes:
        """The original message bytes."""
        return base64.b64decode(self.payload_b64)

    def to_json(self) -> bytes:
        """Serialise as UTF-8 JSON bytes."""
        return self.model_dump_json().encode()
