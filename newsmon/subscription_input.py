"""Subscriptions as people write them, read the same way by ``newsmon subscriptions add --file``,
``newsmon run --subscriptions`` and ``POST /subscriptions``.

YAML or JSON (JSON is YAML): one mapping of subscription fields, a list of them, or
``{subscriptions: [...]}`` (the shape of ``examples/subscriptions.yaml``). The fields themselves
are checked by :class:`contract.Subscription` with unknown fields refused.
"""

from typing import Any, NamedTuple

import yaml


class NotSubscriptions(ValueError):
    """The text is not YAML/JSON, or holds something other than subscription mappings."""


class SubscriptionsInput(NamedTuple):
    """The mappings found, and whether the text was one subscription rather than a list."""

    items: list[dict[str, Any]]
    single: bool


def read_subscriptions(text: str) -> SubscriptionsInput:
    """The subscription mappings in ``text``.

    Raises:
        NotSubscriptions: not YAML/JSON, or an item that is not a mapping (numbered from 1).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NotSubscriptions(f"not YAML or JSON: {' '.join(str(exc).split())}") from exc
    if isinstance(data, dict) and isinstance(data.get("subscriptions"), list):
        data = data["subscriptions"]
    single = not isinstance(data, list)
    items = [data] if single else data
    if not items:
        raise NotSubscriptions("no subscriptions (an empty list)")
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise NotSubscriptions(f"item {n}: expected a mapping of subscription fields")
    return SubscriptionsInput(items, single)
