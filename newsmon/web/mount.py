"""Wiring the web view into the API's app: the page's routes, its static files, and ``/docs``
from the Swagger UI files the ``swagger-ui-py`` package ships (no CDN: it works offline).

``swagger-ui-py`` rather than ``swagger-ui-bundle``: the latter's Swagger UI 4.15 cannot read
the OpenAPI 3.1 documents FastAPI writes ("does not specify a valid version field"); this one
ships Swagger UI 5. Only its static files are used."""

from pathlib import Path

import swagger_ui
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from newsmon.web.routes import router

STATIC = Path(__file__).parent / "static"
SWAGGER_UI = Path(swagger_ui.__file__).parent / "static"


def install_web(app: FastAPI) -> None:
    """Add ``/``, the form posts, ``/static``, ``/static/swagger`` and ``/docs`` to ``app``
    (create it with ``docs_url=None``)."""
    app.include_router(router)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_UI), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI over ``/openapi.json``, every file served from here."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from swagger.io
        )
