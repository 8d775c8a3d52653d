"""Success answers: contract models serialised by pydantic, straight to bytes."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel
from pydantic_core import to_json
from starlette.responses import Response

JSON = "application/json"
OK_BODY = b'{"status":"OK"}'  # EmptyApiResponse


def json_body(model: BaseModel) -> bytes:
    """A contract model as the Market writes it: field aliases, absent fields left out."""
    # The serializer's bytes as they are: ``model_dump_json`` would decode them to a str.
    return model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_none=True)


class JsonBodyResponse(Response):
    """A JSON body ready as bytes. Its two headers are set directly: Starlette's constructor
    looks through the headers a caller may give, and these answers are given none."""

    media_type = JSON

    def __init__(self, body: bytes, status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", _JSON_BYTES),
        ]


_JSON_BYTES = JSON.encode("latin-1")


def json_response(model: BaseModel, *, status_code: int = 200) -> Response:
    return JsonBodyResponse(json_body(model), status_code)


def document_response(document: Mapping[str, object]) -> Response:
    """An answer built as its JSON document (plain dicts, lists, strings and numbers)."""
    return JsonBodyResponse(to_json(document))


def ok_response() -> Response:
    return JsonBodyResponse(OK_BODY)
