"""Reading versioned JSON models off the wire, with errors that name the field."""

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from contract.errors import PoisonMessage

M = TypeVar("M", bound=BaseModel)


def parse_versioned(model: type[M], payload: bytes | str, newest: int, what: str) -> M:
    """Parse ``payload`` as ``model``, refusing versions newer than ``newest``.

    Raises:
        PoisonMessage: not JSON, a newer ``schema_version``, or an invalid field (named).
    """
    raw = payload.encode() if isinstance(payload, str) else payload
    try:
        parsed = model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise PoisonMessage(f"invalid {what}: {first['msg']}", raw, field) from exc
    version = int(getattr(parsed, "schema_version", 0))
    if version > newest:
        raise PoisonMessage(
            f"{what} schema_version {version} is newer than {newest}, which this newsmon reads",
            raw,
            "schema_version",
        )
    return parsed
