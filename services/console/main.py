"""Wiring: settings -> logging -> API client -> app (session cookie, CSRF, screens) -> uvicorn."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
import uvicorn
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from docroute.logging import configure_logging
from services.console import core
from services.console.adapters import ApiClient, ApiError
from services.console.deps import SignInRequiredError, check_csrf, is_htmx, render
from services.console.routes import (
    auth,
    documents,
    groups,
    keys,
    labelling,
    review,
    training,
    tryit,
    usage,
    versions,
    workflows,
)
from services.console.session import COOKIE, Session, SessionCodec
from services.console.settings import ConsoleSettings

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
SWAGGER_FILES = Path(fastapi_offline.__file__).parent / "static"
SCREENS = (auth, workflows, training, labelling, groups, versions, tryit, review, documents, usage, keys)
# Scripts and styles from this origin only; inline style attributes (bar widths, heat) allowed.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def create_app(settings: ConsoleSettings) -> FastAPI:
    secret = settings.console_secret.get_secret_value() if settings.console_secret else None
    if secret is None:
        logger.warning("DOCROUTE_CONSOLE_SECRET is not set: sessions end when this process restarts")
    codec = SessionCodec(secret or secrets.token_urlsafe(32), int(settings.session_hours * 3600))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.api = ApiClient(settings.api_url, settings.api_timeout_s)
        try:
            yield
        finally:
            await app.state.api.aclose()

    app = FastAPI(
        title="docroute console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates.env.filters["percent"] = core.percent
    app.state.templates.env.globals["threshold_curve"] = core.threshold_curve
    app.state.settings = settings

    @app.middleware("http")
    async def session_cookie(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        cookie = request.cookies.get(COOKIE)
        loaded = codec.loads(cookie)
        request.state.session = loaded or Session.anonymous()
        response = await call_next(request)
        if request.state.session != loaded:
            response.set_cookie(
                COOKIE,
                codec.dumps(request.state.session),
                max_age=int(settings.session_hours * 3600),
                httponly=True,
                samesite="strict",
                secure=settings.secure_cookie,
                path="/",
            )
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(SignInRequiredError)
    async def sign_in_first(request: Request, exc: SignInRequiredError) -> Response:
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": "/signin"})
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(ApiError)
    async def api_refused(request: Request, exc: ApiError) -> Response:
        """A refusal no screen handled in place: shown as an error page (or fragment)."""
        if exc.status == 401:
            request.state.session = Session.anonymous()
            return await sign_in_first(request, SignInRequiredError())
        message = core.plain_error(exc.status, exc.detail, exc.retry_after)
        template = "error_fragment.html" if is_htmx(request) else "error.html"
        return render(request, template, status_code=exc.status, message=message)

    for screen in SCREENS:
        app.include_router(screen.router, dependencies=[Depends(check_csrf)])
    # Swagger UI for a workflow's OpenAPI document: the files the API's /docs uses (fastapi-offline).
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_FILES), name="swagger")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    @app.get("/readyz", include_in_schema=False)
    def health() -> dict[str, str]:
        """Alive and ready once serving: a page that needs the API says so when it is down."""
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def run() -> None:
    """`python -m services.console`: serve on settings.host:port."""
    settings = ConsoleSettings()
    configure_logging("console", settings.log_level)
    logger.info(
        "console listening on http://%s:%s (API at %s)", settings.host, settings.port, settings.api_url
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
