"""The cabinet's own script and style, served from the package (no CDN, no build step)."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

FILES: Final = {
    "cabinet.css": "text/css; charset=utf-8",
    "cabinet.js": "text/javascript; charset=utf-8",
}
# They change only with the installed package: a browser may keep them a day.
CACHE_CONTROL: Final = "private, max-age=86400"


@functools.cache
def _content(name: str) -> bytes:
    return (resources.files("dbskit.cabinet") / "static" / name).read_bytes()


async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = FILES.get(name)
    if media_type is None:
        raise HTTPException(404)
    return Response(_content(name), media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})
