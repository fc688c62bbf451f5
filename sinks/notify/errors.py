"""Typed delivery errors: the type decides whether an alert is retried, dead-lettered or held.

Senders raise :class:`SendFailed` (they know the transport, not the subscription); the notifier
turns it into :class:`DeliveryFailed`, which names the subscription, the channel and the alert
and is what goes on the dead-letter topic. Neither message ever holds a secret or a Slack URL:
senders build their reasons from status codes and exception class names, scrubbed of URLs.
"""

from contract import NewsmonError


class SendFailed(NewsmonError):
    """One delivery attempt series gave up.

    Args:
        reason: what went wrong last (``"HTTP 503"``, ``"ConnectError: ..."``), secret-free.
        attempts: how many attempts were made.
        permanent: retrying will not help (4xx, a refused recipient, no sender configured).
    """

    def __init__(self, reason: str, attempts: int, *, permanent: bool) -> None:
        kind = "refused" if permanent else "gave up"
        super().__init__(f"{kind} after {attempts} attempt(s): {reason}")
        self.reason = reason
        self.attempts = attempts
        self.permanent = permanent


class DeliveryFailed(NewsmonError):
    """A notice could not be delivered to one channel of one subscription."""

    def __init__(
        self, subscription_id: str, channel_key: str, delivery_id: str, cause: SendFailed
    ) -> None:
        super().__init__(
            f"subscription {subscription_id!r} channel {channel_key} alert {delivery_id}: {cause}"
        )
        self.subscription_id = subscription_id
        self.channel_key = channel_key
        self.delivery_id = delivery_id
        self.attempts = cause.attempts
        self.permanent = cause.permanent


class DeliveryInterrupted(NewsmonError):
    """The runner is stopping: abandon the current delivery without recording it.

    Nothing is logged as sent or dead and the offsets are not committed, so the alert is simply
    delivered again (to the channels still missing) after the restart.
    """


def scrub(text: str, *secrets: str) -> str:
    """``text`` with every non-empty ``secret`` replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
