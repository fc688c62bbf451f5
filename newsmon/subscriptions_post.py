"""``POST /subscriptions``: the body ``newsmon subscriptions add --file`` would read.

One subscription, a list, or ``{subscriptions: [...]}``, as JSON or YAML (see
:mod:`newsmon.subscription_input`), checked as the CLI checks it: unknown fields refused, channels
against the address policy, the queries by the store. Everything is checked before anything is
stored, so a list with one bad item stores none.
"""

from typing import Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from contract import AddressPolicy, Subscription
from newsmon.backends import Subscriptions
from newsmon.http_client import refused_channel
from newsmon.subscription_input import NotSubscriptions, read_subscriptions

_REF = {"$ref": "#/components/schemas/Subscription"}
_SHAPES = {
    "oneOf": [
        _REF,
        {"type": "array", "items": _REF},
        {"type": "object", "properties": {"subscriptions": {"type": "array", "items": _REF}}},
    ]
}
REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "one subscription, a list, or {subscriptions: [...]}; JSON or YAML "
        "(the files `newsmon subscriptions add --file` reads)",
        "content": {
            "application/json": {"schema": _SHAPES},
            "application/yaml": {"schema": _SHAPES},
        },
    }
}


def _validated(items: list[dict[str, Any]], single: bool) -> list[Subscription]:
    found: list[Subscription] = []
    problems: list[Any] = []
    for n, item in enumerate(items):
        try:
            found.append(Subscription.model_validate(item, extra="forbid"))
        except ValidationError as exc:
            where: tuple[int, ...] = () if single else (n,)
            problems += [{**e, "loc": (*where, *e["loc"])} for e in exc.errors(include_url=False)]
    if problems:
        raise RequestValidationError(problems)
    return found


def store_posted(
    body: bytes, store: Subscriptions, policy: AddressPolicy, replace: bool
) -> tuple[list[Subscription], bool]:
    """Check and store the subscriptions in ``body``. Returns them, and whether the body was a
    single subscription (answered with an object, not a list).

    Raises:
        HTTPException: 400 unreadable body, a refused channel or a repeated id; 409 an id that
            exists without ``replace``.
        RequestValidationError: invalid fields (422, located per item in a list).
        InvalidQuery: the store refused a query (400, by the app's handler).
    """
    try:
        given = read_subscriptions(body.decode("utf-8"))
    except (UnicodeDecodeError, NotSubscriptions) as exc:
        raise HTTPException(400, f"body: {exc}") from exc
    subscriptions = _validated(given.items, given.single)
    seen: set[str] = set()
    for n, subscription in enumerate(subscriptions, start=1):
        where = "" if given.single else f"item {n}: "
        if why := refused_channel(subscription, policy):
            raise HTTPException(400, f"{where}invalid subscription: {why}")
        if subscription.id in seen:
            raise HTTPException(400, f"{where}id {subscription.id!r} given twice")
        seen.add(subscription.id)
    existing = {s.id: store.get(s.id) for s in subscriptions}
    taken = [sid for sid, found in existing.items() if found is not None]
    if taken and not replace:
        raise HTTPException(409, f"subscription {taken[0]!r} exists; use ?replace=true")
    for subscription in subscriptions:  # as put() checks them, but all before storing any
        if subscription.kind != "feed-health":  # its query is a glob over feeds
            store.validate(subscription.query)
    stored: list[Subscription] = []
    for subscription, item in zip(subscriptions, given.items, strict=True):
        before = existing[subscription.id]
        if before is not None and "created_at" not in item:
            subscription = subscription.model_copy(update={"created_at": before.created_at})
        store.put(subscription)
        stored.append(subscription)
    return stored, given.single
