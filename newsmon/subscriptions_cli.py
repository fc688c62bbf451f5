"""``newsmon subscriptions ...``: add, list, show, remove and backtest alert subscriptions.

``newsmon.cli`` registers :data:`subscriptions_app`. On a cluster, subscriptions live in the
percolator cluster (``NEWSMON_PERCOLATOR_URL``), backtests run on the article cluster
(``NEWSMON_ES_URL``) and every query is checked by Elasticsearch before it is stored; in the
embedded mode both are SQLite files in the data dir and the embedded matcher checks queries.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
import yaml
from elasticsearch import ApiError, TransportError
from pydantic import ValidationError
from rich.table import Table

from contract import AddressPolicy, NewsmonError, Subscription
from contract.text import printable
from newsmon.backend_choice import backends_for
from newsmon.backends import Subscriptions
from newsmon.console import err, out, safe
from newsmon.data_option import DataOption, settings_with_data
from newsmon.http_client import refused_channel
from newsmon.settings import Settings
from newsmon.subscription_input import NotSubscriptions, read_subscriptions
from newsmon.subscriptions_table import subscriptions_table
from sinks.backtest import MAX_DAYS, Backtest
from sinks.elasticsearch.errors import is_transient

subscriptions_app = typer.Typer(
    help="Alert subscriptions: add, list, show, remove, and backtest them on past articles.",
    no_args_is_help=True,
)


class CliError(Exception):
    """A problem with what the user asked for, printed as ``error: ...`` (exit 1)."""


# --- pure parsing of options ---------------------------------------------------------------


def parse_digest(value: str, tz: str = "UTC") -> dict[str, str]:
    """``daily@08:00`` / ``hourly@00:15`` / ``daily`` -> the Digest fields.

    The time is checked by :class:`contract.Digest`; hourly digests use only its minutes.
    """
    every, _, at = value.partition("@")
    if every not in ("daily", "hourly"):
        raise CliError(f"--digest {value!r}: use daily@HH:MM or hourly@HH:MM (e.g. daily@08:00)")
    fields = {"every": every, "tz": tz}
    if at:
        fields["at"] = at
    return fields


def parse_quiet(value: str, tz: str = "UTC") -> dict[str, str]:
    """``22:00-07:00`` -> the QuietHours fields (the end may be earlier: overnight)."""
    start, sep, end = value.partition("-")
    if not sep or not start or not end:
        raise CliError(f"--quiet {value!r}: use START-END as HH:MM-HH:MM (e.g. 22:00-07:00)")
    return {"start": start.strip(), "end": end.strip(), "tz": tz}


def parse_channels(
    webhook: str | None,
    secret: str | None,
    emails: list[str],
    slack: str | None,
    kafka_topic: str | None,
) -> list[dict[str, Any]]:
    """The channel options -> the channel list (all addresses make one email channel)."""
    if (webhook is None) != (secret is None):
        raise CliError("--webhook and --secret go together (the secret signs each POST)")
    channels: list[dict[str, Any]] = []
    if webhook is not None:
        channels.append({"type": "webhook", "url": webhook, "secret": secret})
    if emails:
        channels.append({"type": "email", "to": emails})
    if slack is not None:
        channels.append({"type": "slack", "url": slack})
    if kafka_topic is not None:
        channels.append({"type": "kafka", "topic": kafka_topic})
    return channels


def parse_spike(
    window: int | None, factor: float | None, minimum: int | None, days: int | None
) -> dict[str, Any]:
    """The spike options that were given -> Spike fields (the others keep their defaults)."""
    given = {
        "window_minutes": window,
        "factor": factor,
        "min_count": minimum,
        "baseline_days": days,
    }
    return {k: v for k, v in given.items() if v is not None}


def validation_message(exc: ValidationError) -> str:
    """One line per problem, naming the field: ``owner: Field required``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'subscription'}: {e['msg']}" for e in exc.errors()
    )


def load_file(path: Path) -> list[dict[str, Any]]:
    """Subscriptions from a YAML or JSON file (see :func:`read_subscriptions`)."""
    try:
        return read_subscriptions(path.read_text(encoding="utf-8")).items
    except (OSError, NotSubscriptions) as exc:
        raise CliError(f"{path}: {exc}") from exc


def store_subscription(
    store: Subscriptions,
    data: dict[str, Any],
    replace: bool,
    where: str = "",
    policy: AddressPolicy | None = None,
) -> tuple[Subscription, bool]:
    """Validate and store one subscription. Returns it, and whether it replaced one.

    Raises:
        CliError: invalid fields, a channel ``policy`` refuses, or the id exists and
            ``replace`` is False.
        InvalidQuery: the store refused the query.
    """
    try:
        subscription = build_subscription(data)
    except CliError as exc:
        raise CliError(f"{where}{exc}") from exc
    if policy is not None and (why := refused_channel(subscription, policy)):
        raise CliError(f"{where}invalid subscription: {why}")
    existing = store.get(subscription.id)
    if existing is not None and not replace:
        raise CliError(
            f"{where}subscription {subscription.id!r} exists (owner {existing.owner}); "
            "use --replace to overwrite it"
        )
    if existing is not None and "created_at" not in data:
        subscription = subscription.model_copy(update={"created_at": existing.created_at})
    store.put(subscription)
    return subscription, existing is not None


def build_subscription(data: dict[str, Any]) -> Subscription:
    """Validate the fields, refusing unknown ones (a typo must not silently drop a setting)."""
    try:
        return Subscription.model_validate(data, extra="forbid")
    except ValidationError as exc:
        raise CliError(f"invalid subscription: {validation_message(exc)}") from exc


# --- plumbing ------------------------------------------------------------------------------


@contextmanager
def _reported(settings: Settings) -> Iterator[None]:
    """Print expected failures as ``error: ...`` and exit 1."""
    try:
        yield
    except (CliError, NewsmonError) as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except (ApiError, TransportError) as exc:
        where = f"{settings.es_url} / {settings.subscriptions_url}"
        what = "unreachable or overloaded" if is_transient(exc) else "refused the request"
        err.print(
            f"[red]error:[/] Elasticsearch ({where}) {what}: {safe(exc)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from exc


def _store(settings: Settings) -> Subscriptions:
    store = backends_for(settings).subscriptions()
    store.setup()
    return store


def _print_json(data: object) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def _channels(subscription: Subscription) -> str:
    return ", ".join(c.type for c in subscription.channels)


# --- commands ------------------------------------------------------------------------------


@subscriptions_app.command()
def add(
    file: Annotated[
        Path | None, typer.Option("--file", help="YAML or JSON with the subscription fields")
    ] = None,
    sub_id: Annotated[str | None, typer.Option("--id", help="lowercase id")] = None,
    name: Annotated[str | None, typer.Option(help="display name (default: the id)")] = None,
    owner: Annotated[str | None, typer.Option(help="who owns it")] = None,
    query: Annotated[str | None, typer.Option(help="Lucene query, e.g. topics:ceasefire")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST alerts to this URL")] = None,
    secret: Annotated[str | None, typer.Option(help="HMAC key signing webhook POSTs")] = None,
    email: Annotated[list[str] | None, typer.Option(help="email address (repeatable)")] = None,
    slack: Annotated[str | None, typer.Option(help="Slack incoming-webhook URL")] = None,
    kafka_topic: Annotated[str | None, typer.Option(help="produce alerts to this topic")] = None,
    digest: Annotated[
        str | None, typer.Option(help="digest mode: daily@HH:MM or hourly@HH:MM")
    ] = None,
    tz: Annotated[str, typer.Option(help="IANA time zone of --digest and --quiet")] = "UTC",
    quiet: Annotated[
        str | None, typer.Option(help="quiet hours START-END, e.g. 22:00-07:00")
    ] = None,
    cap: Annotated[int | None, typer.Option(help="most alerts pushed per day")] = None,
    every_article: Annotated[
        bool, typer.Option("--every-article", help="alert per article, not per story")
    ] = False,
    disabled: Annotated[bool, typer.Option("--disabled", help="store it switched off")] = False,
    spike: Annotated[bool, typer.Option("--spike", help="a spike subscription")] = False,
    spike_window: Annotated[int | None, typer.Option(help="spike window, minutes")] = None,
    spike_factor: Annotated[float | None, typer.Option(help="spike: times the baseline")] = None,
    spike_min: Annotated[int | None, typer.Option(help="spike: least stories in window")] = None,
    spike_days: Annotated[int | None, typer.Option(help="spike: baseline days")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="overwrite an existing id")] = False,
    feed_health: Annotated[
        bool,
        typer.Option(
            "--feed-health",
            help="alert when a feed fails or goes quiet (--query: "
            "a glob over feed names or URLs, default every feed)",
        ),
    ] = False,
    data_dir: DataOption = None,
) -> None:
    """Add a subscription (from --file, or from options) after Elasticsearch checked its query.

    Any --spike-* option (or --spike) makes it a spike subscription.
    """
    settings = settings_with_data(data_dir)
    with _reported(settings):
        spike_fields = parse_spike(spike_window, spike_factor, spike_min, spike_days)
        if file is not None:
            options = (
                sub_id,
                name,
                owner,
                query,
                webhook,
                secret,
                email,
                slack,
                kafka_topic,
                digest,
            )
            if any(o is not None for o in options) or spike_fields or quiet or cap:
                raise CliError("give either --file or the subscription options, not both")
            items = load_file(file)
        else:
            data: dict[str, Any] = {
                "id": sub_id,
                "name": name or sub_id,
                "owner": owner,
                "query": query,
                "channels": parse_channels(webhook, secret, email or [], slack, kafka_topic),
                "every_article": every_article,
                "enabled": not disabled,
                "daily_cap": cap,
            }
            data = {k: v for k, v in data.items() if v is not None}
            if digest is not None:
                data |= {"mode": "digest", "digest": parse_digest(digest, tz)}
            if quiet is not None:
                data["quiet_hours"] = parse_quiet(quiet, tz)
            if spike or spike_fields:
                data |= {"kind": "spike", "spike": spike_fields}
            if feed_health:
                if spike or spike_fields:
                    raise CliError("a subscription is --spike or --feed-health, not both")
                data["kind"] = "feed-health"
            items = [data]
        store = _store(settings)
        for n, item in enumerate(items, start=1):
            where = f"{file} item {n}: " if file is not None and len(items) > 1 else ""
            subscription, replaced = store_subscription(
                store, item, replace, where, settings.address_policy()
            )
            out.print(
                printable(
                    f"{'replaced' if replaced else 'added'} subscription {subscription.id} "
                    f"({subscription.kind}, {subscription.mode}, "
                    f"channels: {_channels(subscription)})"
                ),
                highlight=False,
                markup=False,
            )


@subscriptions_app.command("list")
def list_subscriptions(
    owner: Annotated[str | None, typer.Option(help="only this owner's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (secrets masked)")] = False,
    data_dir: DataOption = None,
) -> None:
    """Every subscription, sorted by id."""
    settings = settings_with_data(data_dir)
    with _reported(settings):
        found = _store(settings).list(owner=owner)
    if as_json:
        _print_json([s.public() for s in found])
        return
    out.print(subscriptions_table(found, out.width))


def _get(settings: Settings, sub_id: str) -> Subscription:
    found = _store(settings).get(sub_id)
    if found is None:
        raise CliError(f"no subscription {sub_id!r} (see `newsmon subscriptions list`)")
    return found


@subscriptions_app.command()
def show(
    sub_id: Annotated[str, typer.Argument(metavar="ID", help="the subscription id")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    data_dir: DataOption = None,
) -> None:
    """One subscription, secrets masked."""
    settings = settings_with_data(data_dir)
    with _reported(settings):
        data = _get(settings, sub_id).public()
    if as_json:
        _print_json(data)
        return
    shown = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip()
    out.print(printable(shown), highlight=False, markup=False)


@subscriptions_app.command()
def remove(
    sub_id: Annotated[str, typer.Argument(metavar="ID", help="the subscription id")],
    data_dir: DataOption = None,
) -> None:
    """Delete a subscription (its past alerts stay)."""
    settings = settings_with_data(data_dir)
    with _reported(settings):
        if not _store(settings).remove(sub_id):
            raise CliError(f"no subscription {sub_id!r} (see `newsmon subscriptions list`)")
    out.print(f"removed subscription {safe(sub_id)}", highlight=False)


def _print_backtest(result: Backtest) -> None:
    table = Table(
        "day",
        "articles",
        "stories",
        title=f"{safe(result.query)}  ({safe(result.tz)} days)",
        highlight=False,
    )
    for row in result.per_day:
        table.add_row(row.day.isoformat(), str(row.articles), str(row.stories))
    table.add_section()
    approx = "" if result.stories_exact else " (approximate)"
    table.add_row("[b]total[/]", f"[b]{result.articles}[/]", f"[b]{result.stories}[/]{approx}")
    out.print(table)
    out.print(
        f"would have alerted on {result.stories} stories ({result.articles} articles)",
        highlight=False,
    )
    for sample in result.samples:
        when = (sample.published or sample.fetched_at or datetime.min).strftime("%Y-%m-%d %H:%M")
        out.print(f"  {when}  {safe(sample.source)}: {safe(sample.title)}", highlight=False)
    if (hidden := result.stories - len(result.samples)) > 0:
        out.print(f"  +{hidden} more stor{'y' if hidden == 1 else 'ies'}", highlight=False)


@subscriptions_app.command("test")
def backtest_command(
    sub_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="a stored subscription")
    ] = None,
    query: Annotated[str | None, typer.Option(help="backtest this query instead")] = None,
    days: Annotated[int, typer.Option(min=1, max=MAX_DAYS, help="days back, today included")] = 7,
    tz: Annotated[
        str | None, typer.Option(help="time zone of the days (default: the subscription's)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    data_dir: DataOption = None,
) -> None:
    """Backtest: per day, the articles and stories a subscription would have alerted on."""
    settings = settings_with_data(data_dir)
    with _reported(settings):
        if sub_id is not None and query is not None:
            raise CliError("give a subscription ID or --query, not both")
        if sub_id is not None:
            subscription = _get(settings, sub_id)
            if subscription.kind == "feed-health":
                raise CliError(f"{sub_id} is a feed-health subscription: it matches no articles")
            query, zone = subscription.query, tz or subscription.tz
        elif query is not None:
            _store(settings).validate(query)
            zone = tz or "UTC"
        else:
            raise CliError("give a subscription ID or --query")
        try:
            articles = backends_for(settings).articles()
            result = articles.backtest(query, days, datetime.now(UTC), zone)
        except ValueError as exc:  # an unknown time zone
            raise CliError(str(exc)) from exc
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        _print_backtest(result)
