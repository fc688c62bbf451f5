"""The JSON body sent to webhooks and Kafka: canonical bytes, so a signature covers exactly them.

An alert notice is the alert's own fields plus ``"event": "alert"``; a digest is
``{"alert_id": <digest id>, "version": 1, "event": "digest", "subscription_id", ...,
"alerts": [...]}``. Keys are sorted and the encoding is orjson's compact form, so the same notice
always serialises to the same bytes (and the same HMAC).
"""

from typing import Any

import orjson

from sinks.notify.notice import Notice


def payload_dict(notice: Notice) -> dict[str, Any]:
    """The notice as JSON-safe data."""
    if notice.event == "alert":
        return {**notice.alerts[0].model_dump(mode="json"), "event": "alert"}
    subscription = notice.subscription
    return {
        "alert_id": notice.id,
        "digest_id": notice.id,
        "version": notice.version,
        "event": "digest",
        "subscription_id": subscription.id,
        "subscription_name": subscription.name,
        "owner": subscription.owner,
        "count": len(notice.alerts),
        "alert_ids": [a.alert_id for a in notice.alerts],
        "alerts": [a.model_dump(mode="json") for a in notice.alerts],
    }


def payload_bytes(notice: Notice) -> bytes:
    """The canonical body: orjson with sorted keys (non-finite floats become ``null``)."""
    return orjson.dumps(payload_dict(notice), option=orjson.OPT_SORT_KEYS)
