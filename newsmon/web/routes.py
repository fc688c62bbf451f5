"""The page's routes: ``GET /`` (with ``?q=`` a search) and the subscription form's posts,
which answer with the whole page (no JavaScript needed). The stores are synchronous, so the
page is built in the thread pool."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from newsmon.same_origin import same_origin
from newsmon.web import subscription_form
from newsmon.web.evidence import evidence_lines
from newsmon.web.highlight import highlighted
from newsmon.web.links import web_url
from newsmon.web.page import build_page
from newsmon.web.subscription_form import FormOutcome

if TYPE_CHECKING:
    from newsmon.api import Backend

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["highlighted"] = highlighted
templates.env.filters["evidence_lines"] = evidence_lines
templates.env.filters["web_url"] = web_url
router = APIRouter(include_in_schema=False)


def _backend(request: Request) -> "Backend":
    backend: Backend = request.app.state.backend
    return backend


async def _fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _render(
    request: Request, query: str | None = None, outcome: FormOutcome | None = None
) -> HTMLResponse:
    page = await run_in_threadpool(build_page, _backend(request), query, outcome)
    status = 400 if (outcome and outcome.error) or (page.search and page.search.error) else 200
    return templates.TemplateResponse(request, "index.html", {"page": page}, status_code=status)


@router.get("/", response_class=HTMLResponse)
async def index(
    request: Request, q: Annotated[str | None, Query(description="a search")] = None
) -> HTMLResponse:
    """The page; with ``q``, the articles matching it."""
    return await _render(request, (q or "").strip() or None)


@router.post("/web/subscriptions", response_class=HTMLResponse, dependencies=[Depends(same_origin)])
async def create_subscription(request: Request) -> HTMLResponse:
    """Create a subscription from the form, then backtest it."""
    fields = await _fields(request)
    backend = _backend(request)
    outcome = await run_in_threadpool(
        subscription_form.create,
        fields,
        backend.settings,
        backend.subscriptions,
        backend.articles,
    )
    return await _render(request, outcome=outcome)


@router.post("/web/backtest", response_class=HTMLResponse, dependencies=[Depends(same_origin)])
async def backtest(request: Request) -> HTMLResponse:
    """Backtest the form's query."""
    fields = await _fields(request)
    backend = _backend(request)
    outcome = await run_in_threadpool(
        subscription_form.backtest, fields, backend.subscriptions, backend.articles
    )
    return await _render(request, outcome=outcome)


@router.post(
    "/web/subscriptions/{sub_id}/remove",
    response_class=HTMLResponse,
    dependencies=[Depends(same_origin)],
)
async def remove_subscription(request: Request, sub_id: str) -> HTMLResponse:
    """Remove a subscription (its alerts stay)."""
    outcome = await run_in_threadpool(
        subscription_form.remove, sub_id, _backend(request).subscriptions
    )
    return await _render(request, outcome=outcome)
