"""Success answers: contract models serialised by pydantic, straight to bytes."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.responses import Response

JSON = "application/json"
OK_BODY = b'{"status":"OK"}'  # EmptyApiResponse


def json_body(model: BaseModel) -> bytes:
    """A contract model as the Market writes it: field aliases, absent fields left out."""
    # The serializer's bytes as they are: ``model_dump_json`` would decode them to a str.
    return model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_none=True)


def json_response(model: BaseModel, *, status_code: int = 200) -> Response:
    return Response(json_body(model), status_code=status_code, media_type=JSON)


def ok_response() -> Response:
    return Response(OK_BODY, media_type=JSON)
