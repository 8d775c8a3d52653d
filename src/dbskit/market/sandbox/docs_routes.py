"""/sandbox/openapi.json and /sandbox/docs: the control plane described, for the token holder.

The document is generated from the ``/sandbox`` routes only (the Partner API has its own
reference spec). The docs page is Swagger UI whose script and style come from the
``fastapi-offline`` package and are served here: the page loads nothing from another host.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, Final

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from dbskit import __version__
from dbskit.contract.errors import Messages, NotFound
from dbskit.market.paths import SANDBOX_ROOT
from dbskit.market.sandbox._guard import HEADER, require_sandbox_token, runtime_of
from dbskit.market.sandbox._session import DOCS_PATH, cookie_header, docs_sign_in

OPENAPI_PATH: Final = SANDBOX_ROOT + "/openapi.json"
ASSETS_PATH: Final = DOCS_PATH + "/assets"
TITLE: Final = "dbskit sandbox control plane"
SECURITY_SCHEME: Final = "SandboxToken"
# The files of the docs page, from the fastapi-offline package, by the name they are served as.
ASSET_PACKAGE: Final = "fastapi_offline"
ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
# The page and its assets change only with the installed package: a browser may keep them a day.
ASSET_CACHE_CONTROL: Final = "private, max-age=86400"

router = APIRouter(prefix=SANDBOX_ROOT, include_in_schema=False)


@router.get("/openapi.json", dependencies=[Depends(require_sandbox_token)])
async def openapi_document(request: Request) -> Response:
    return JSONResponse(sandbox_openapi(request.app))


@router.get("/docs")
async def docs_page(request: Request) -> Response:
    """Swagger UI; ``?token=<Sandbox-Token>`` signs a browser in and drops the token from the
    address."""
    token = runtime_of(request).settings.sandbox_token
    secret = token.get_secret_value() if token is not None else ""
    if docs_sign_in(secret, request.url.path, request.scope["query_string"]):
        redirect = RedirectResponse(DOCS_PATH, status_code=303)
        secure = request.url.scheme == "https"
        redirect.headers.append("Set-Cookie", cookie_header(secret, secure=secure))
        redirect.headers["Cache-Control"] = "no-store"
        redirect.headers["Referrer-Policy"] = "no-referrer"
        return redirect
    require_sandbox_token(request)
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title=TITLE,
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
    )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/docs/assets/{name}", dependencies=[Depends(require_sandbox_token)])
async def docs_asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(Messages.RESOURCE_NOT_FOUND.format(path=f"{ASSETS_PATH}/{name}"))
    return Response(
        _asset(name), media_type=media_type, headers={"Cache-Control": ASSET_CACHE_CONTROL}
    )


@functools.cache
def _asset(name: str) -> bytes:
    return (resources.files(ASSET_PACKAGE) / "static" / name).read_bytes()


def sandbox_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of the app's ``/sandbox`` routes, made once per app."""
    cached: dict[str, Any] | None = getattr(app.state, "sandbox_openapi", None)
    if cached is not None:
        return cached
    document = get_openapi(
        title=TITLE,
        version=__version__,
        description=(
            "The emulator's own API: what a seller does in the cabinet and what the Market "
            f"does on its side. Every call needs the `{HEADER}` header."
        ),
        routes=app.routes,
    )
    # The app's FastAPI routes are the control plane's (the Partner API has none; /healthz is
    # left out of the schema): keep /sandbox all the same, should another appear.
    document["paths"] = {
        path: item
        for path, item in document.get("paths", {}).items()
        if path.startswith(SANDBOX_ROOT + "/")
    }
    # A bad parameter or body is the Market's 400 envelope here (routes/errors.py), never
    # FastAPI's 422.
    for item in document["paths"].values():
        for operation in item.values():
            operation.get("responses", {}).pop("422", None)
    schemas = document.setdefault("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    document.setdefault("components", {})["securitySchemes"] = {
        SECURITY_SCHEME: {"type": "apiKey", "in": "header", "name": HEADER}
    }
    document["security"] = [{SECURITY_SCHEME: []}]
    app.state.sandbox_openapi = document
    return document
