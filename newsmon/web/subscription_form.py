"""The page's subscription form: create, backtest and remove, with the same validation as
``newsmon subscriptions add`` and ``POST /subscriptions`` (the Subscription model, unknown
fields refused, the channel address policy, the store's query check)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contract import InvalidQuery
from newsmon.backends import Subscriptions
from newsmon.settings import Settings
from newsmon.subscriptions_cli import CliError, store_subscription
from sinks.article_queries import ArticleQueries
from sinks.backtest import MAX_DAYS, Backtest

DEFAULT_DAYS = 7


@dataclass
class SubscriptionForm:
    """What the user typed (echoed back into the form after an error)."""

    id: str = ""
    name: str = ""
    owner: str = "web"
    query: str = ""
    channel: str = "console"
    webhook_url: str = ""
    secret: str = ""
    days: int = DEFAULT_DAYS


@dataclass
class FormOutcome:
    """The result shown under the form: an error, a notice, and a backtest."""

    form: SubscriptionForm = field(default_factory=SubscriptionForm)
    error: str | None = None
    notice: str | None = None
    backtest: Backtest | None = None


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError as exc:
        raise CliError(f"days: {value!r} is not a whole number") from exc
    if not 1 <= days <= MAX_DAYS:
        raise CliError(f"days: between 1 and {MAX_DAYS}, not {days}")
    return days


def read_form(fields: dict[str, str]) -> SubscriptionForm:
    """The posted fields, stripped (days checked later, with the others)."""
    form = SubscriptionForm()
    for name in ("id", "name", "owner", "query", "channel", "webhook_url", "secret"):
        if name in fields:
            setattr(form, name, fields[name].strip())
    return form


def subscription_data(form: SubscriptionForm) -> dict[str, Any]:
    """The form as subscription fields (the CLI's channel options, then the model checks)."""
    if form.channel == "webhook":
        if not form.webhook_url or not form.secret:
            raise CliError("webhook: give its URL and a secret (the secret signs each POST)")
        channels = [{"type": "webhook", "url": form.webhook_url, "secret": form.secret}]
    elif form.channel == "console":
        channels = [{"type": "console"}]
    else:
        raise CliError(f"channel: {form.channel!r} is not console or webhook")
    return {
        "id": form.id,
        "name": form.name,
        "owner": form.owner,
        "query": form.query,
        "channels": channels,
    }


def run_backtest(articles: ArticleQueries, store: Subscriptions, query: str, days: int) -> Backtest:
    """What ``query`` matched over the last ``days`` days (the API's ``/subscriptions/test``).

    Raises:
        InvalidQuery: the store refuses the query.
    """
    if not query:
        raise CliError("query: give a query to backtest")
    store.validate(query)
    return articles.backtest(query, days, datetime.now(UTC))


def create(
    fields: dict[str, str], settings: Settings, store: Subscriptions, articles: ArticleQueries
) -> FormOutcome:
    """Store the subscription (never replacing one), then backtest its query."""
    form = read_form(fields)
    try:
        form.days = _days(fields.get("days", str(DEFAULT_DAYS)))
        if form.id and (existing := store.get(form.id)) is not None:
            raise CliError(
                f"subscription {form.id!r} exists (owner {existing.owner}): remove it first, "
                "or pick another id"
            )
        subscription, _ = store_subscription(
            store, subscription_data(form), replace=False, policy=settings.address_policy()
        )
        result = run_backtest(articles, store, subscription.query, form.days)
    except (CliError, InvalidQuery) as exc:
        return FormOutcome(form, error=str(exc))
    notice = f"subscription {subscription.id!r} created"
    return FormOutcome(SubscriptionForm(days=form.days), notice=notice, backtest=result)


def backtest(fields: dict[str, str], store: Subscriptions, articles: ArticleQueries) -> FormOutcome:
    """Backtest the form's query without storing anything."""
    form = read_form(fields)
    try:
        form.days = _days(fields.get("days", str(DEFAULT_DAYS)))
        result = run_backtest(articles, store, form.query, form.days)
    except (CliError, InvalidQuery) as exc:
        return FormOutcome(form, error=str(exc))
    return FormOutcome(form, backtest=result)


def remove(sub_id: str, store: Subscriptions) -> FormOutcome:
    """Delete a subscription (its alerts stay)."""
    if not store.remove(sub_id):
        return FormOutcome(error=f"no subscription {sub_id!r}")
    return FormOutcome(notice=f"subscription {sub_id!r} removed")
