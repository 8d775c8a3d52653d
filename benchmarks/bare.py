"""The bare reference: one Starlette route, served by uvicorn with the same flags as dbskit."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def ok(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "OK"})


app = Starlette(routes=[Route("/", ok)])
