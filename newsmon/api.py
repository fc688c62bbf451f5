"""The HTTP API (``newsmon api``): subscriptions, backtests and alerts, the CLI's operations.

Subscriptions are returned with secrets masked (:meth:`contract.Subscription.public`), never with
them. A query the store refuses (Elasticsearch, or the embedded matcher) is a 400 whose
``detail`` is the parser's message; an unreachable or overloaded cluster is a 503 that says so.
It serves a cluster's stores or the embedded SQLite files, as
:func:`newsmon.backend_choice.backends_for` decides. Handlers are plain functions: the stores are
synchronous, so FastAPI runs them in its thread pool.
"""

from datetime import UTC, datetime
from importlib.metadata import version
from typing import Annotated, Any

import uvicorn
from elasticsearch import ApiError, Elasticsearch, TransportError
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from contract import Alert, ConfigError, InvalidQuery, Subscription, TransientError
from newsmon.backend_choice import backends_for
from newsmon.backends import AlertRecorder, Subscriptions
from newsmon.es_clients import make_es
from newsmon.metrics import http as metrics
from newsmon.same_origin import same_origin
from newsmon.settings import Settings
from newsmon.since import moment_since
from newsmon.subscriptions_post import REQUEST_BODY, store_posted
from newsmon.web import install_web
from sinks.article_queries import ArticleQueries
from sinks.backtest import MAX_DAYS, Backtest
from sinks.elasticsearch.errors import is_transient

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Backend:
    """The stores behind the API (a cluster's, or the embedded SQLite files), built once per
    app; the subscriptions store is set up lazily so the API starts (and ``/healthz`` answers)
    while Elasticsearch is still down."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.backends = backends_for(settings)
        self.articles: ArticleQueries = self.backends.articles()
        self.alerts: AlertRecorder = self.backends.alerts()
        self._subscriptions = self.backends.subscriptions()
        self._ready = False

    @property
    def subscriptions(self) -> Subscriptions:
        """The subscriptions store, created on first use (idempotent)."""
        if not self._ready:
            self._subscriptions.setup()
            self._ready = True
        return self._subscriptions

    def health(self) -> dict[str, str]:
        """Role -> status of every store the API uses (an unreachable cluster raises)."""
        if self.backends.mode == "embedded":
            self.alerts.search(size=1)  # the SQLite files open and answer
            return {"embedded": "green"}
        settings = self.settings
        clusters: dict[str, Elasticsearch] = {
            "articles": make_es(settings),
            "subscriptions": make_es(settings, settings.subscriptions_url),
        }
        return {role: str(es.cluster.health()["status"]) for role, es in clusters.items()}


class BacktestRequest(BaseModel):
    """A query to backtest before storing it."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, description="Lucene query-string syntax")
    days: int = Field(7, ge=1, le=MAX_DAYS, description="days back, today included")
    tz: str = Field("UTC", description="IANA time zone the days are counted in")


class Health(BaseModel):
    """Every cluster answered."""

    status: str = "ok"
    clusters: dict[str, str] = Field(description="role -> cluster health colour")


router = APIRouter()


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


async def _raw_body(request: Request) -> bytes:
    return await request.body()


BackendDep = Annotated[Backend, Depends(_backend)]
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "no such subscription"}}
BAD_QUERY: Responses = {
    400: {"description": "Elasticsearch refused the query (detail: the parser's message)"}
}


def _masked(subscription: Subscription, status_code: int = 200) -> JSONResponse:
    return JSONResponse(subscription.public(), status_code=status_code)


def _found(backend: Backend, sub_id: str) -> Subscription:
    subscription = backend.subscriptions.get(sub_id)
    if subscription is None:
        raise HTTPException(404, f"no subscription {sub_id!r}")
    return subscription


def _backtest(backend: Backend, query: str, days: int, tz: str) -> Backtest:
    try:
        return backend.articles.backtest(query, days, datetime.now(UTC), tz)
    except ValueError as exc:  # an unknown time zone
        raise HTTPException(400, str(exc)) from exc


@router.get("/healthz", tags=["health"])
def healthz(backend: BackendDep) -> Health:
    """Both clusters answer (503 otherwise)."""
    return Health(clusters=backend.health())


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=Subscription,
    responses={**BAD_QUERY, 409: {"description": "the id exists (use ?replace=true)"}},
    tags=["subscriptions"],
    openapi_extra=REQUEST_BODY,
    dependencies=[Depends(same_origin)],
)
def add_subscription(
    body: Annotated[bytes, Depends(_raw_body)],
    backend: BackendDep,
    replace: Annotated[bool, Query(description="overwrite a subscription with this id")] = False,
) -> JSONResponse:
    """Store subscriptions after the store checked their queries; unknown fields are refused.

    The body is what `newsmon subscriptions add --file` reads: one subscription (answered with
    it), a list or `{subscriptions: [...]}` (answered with the list), in JSON or YAML.
    """
    policy = backend.settings.address_policy()
    stored, single = store_posted(body, backend.subscriptions, policy, replace)
    if single:
        return _masked(stored[0], 201)
    return JSONResponse([s.public() for s in stored], status_code=201)


@router.get("/subscriptions", response_model=list[Subscription], tags=["subscriptions"])
def list_subscriptions(
    backend: BackendDep,
    owner: Annotated[str | None, Query(description="only this owner's")] = None,
) -> JSONResponse:
    """Every subscription (of ``owner``), sorted by id, secrets masked."""
    return JSONResponse([s.public() for s in backend.subscriptions.list(owner=owner)])


@router.post("/subscriptions/test", response_model=Backtest, responses=BAD_QUERY, tags=["backtest"])
def backtest_query(body: BacktestRequest, backend: BackendDep) -> Backtest:
    """Backtest a query: per day, the articles and stories it would have alerted on."""
    backend.subscriptions.validate(body.query)
    return _backtest(backend, body.query, body.days, body.tz)


@router.get(
    "/subscriptions/{sub_id}",
    response_model=Subscription,
    responses=NOT_FOUND,
    tags=["subscriptions"],
)
def get_subscription(sub_id: str, backend: BackendDep) -> JSONResponse:
    """One subscription, secrets masked."""
    return _masked(_found(backend, sub_id))


@router.delete(
    "/subscriptions/{sub_id}",
    status_code=204,
    responses=NOT_FOUND,
    tags=["subscriptions"],
    dependencies=[Depends(same_origin)],
)
def delete_subscription(sub_id: str, backend: BackendDep) -> Response:
    """Delete a subscription (its alerts stay)."""
    if not backend.subscriptions.remove(sub_id):
        raise HTTPException(404, f"no subscription {sub_id!r}")
    return Response(status_code=204)


@router.get(
    "/subscriptions/{sub_id}/test",
    response_model=Backtest,
    responses=NOT_FOUND,
    tags=["backtest"],
)
def backtest_subscription(
    sub_id: str,
    backend: BackendDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="days back, today included")] = 7,
    tz: Annotated[str | None, Query(description="default: the subscription's")] = None,
) -> Backtest:
    """Backtest a stored subscription over the last ``days`` days."""
    subscription = _found(backend, sub_id)
    if subscription.kind == "feed-health":  # its query is a glob over feeds
        raise HTTPException(400, f"{sub_id} is a feed-health subscription: it matches no articles")
    return _backtest(backend, subscription.query, days, tz or subscription.tz)


@router.get("/alerts", response_model=list[Alert], tags=["alerts"])
def list_alerts(
    backend: BackendDep,
    subscription_id: Annotated[str | None, Query(description="of this subscription")] = None,
    owner: Annotated[str | None, Query(description="of this owner's subscriptions")] = None,
    since: Annotated[
        str | None,
        Query(
            description="updated at or after: 7d, 12h, 2026-12-01, or an ISO date-time "
            "(UTC if no zone; encode + as %2B)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> list[Alert]:
    """Alerts, most recently updated first."""
    try:
        start = None if since is None else moment_since(since, datetime.now(UTC))
    except ValueError as exc:
        raise HTTPException(400, f"since: {exc}") from exc
    return backend.alerts.search(
        subscription_id=subscription_id, owner=owner, since=start, size=limit
    )


def _unavailable(settings: Settings, exc: Exception) -> JSONResponse:
    where = f"articles {settings.es_url}, subscriptions {settings.subscriptions_url}"
    return JSONResponse(
        {"detail": f"Elasticsearch is unreachable or overloaded ({where}): {exc}"}, 503
    )


def _handlers(app: FastAPI, settings: Settings) -> None:
    """Typed errors -> status codes, in one place."""

    @app.exception_handler(InvalidQuery)
    def invalid_query(request: Request, exc: InvalidQuery) -> JSONResponse:
        return JSONResponse({"detail": exc.reason}, 400)

    @app.exception_handler(TransientError)
    def transient(request: Request, exc: TransientError) -> JSONResponse:
        return _unavailable(settings, exc)

    @app.exception_handler(ConfigError)
    def config(request: Request, exc: ConfigError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 503)

    @app.exception_handler(TransportError)
    def transport(request: Request, exc: TransportError) -> JSONResponse:
        return _unavailable(settings, exc)

    @app.exception_handler(ApiError)
    def api_error(request: Request, exc: ApiError) -> JSONResponse:
        if is_transient(exc):
            return _unavailable(settings, exc)
        return JSONResponse({"detail": f"Elasticsearch refused the request: {exc}"}, 502)


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI app over the clusters named in ``settings``."""
    app = FastAPI(
        title="newsmon",
        version=version("newsmon"),
        description="Alert subscriptions on the news stream: manage them, backtest their "
        "queries on past articles, and read the alerts they produced.",
        docs_url=None,  # served by install_web from bundled files (no CDN)
        redoc_url=None,
    )
    app.state.backend = Backend(settings)
    app.include_router(router)
    install_web(app)  # the page at /, its static files, /docs
    metrics.install(app, settings, app.state.backend.backends.mode)
    _handlers(app, settings)
    return app


def serve(settings: Settings) -> None:
    """Run the API with uvicorn on ``api_host:api_port`` until interrupted."""
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level.lower(),
    )
