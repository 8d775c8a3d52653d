"""Every JSON answer dbskit writes, the Market's and the store's: one contract model (or its bytes,
serialised once and kept) with a status.

A model is written as the documents write it: JSON names (the fields' aliases), absent fields
left out; pydantic-core serialises it straight to bytes.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel
from starlette.responses import Response

JSON = "application/json"
_JSON_BYTES = JSON.encode("latin-1")


def json_bytes(model: BaseModel) -> bytes:
    """The model's JSON document, for an answer or to keep (``json_answer`` takes either)."""
    return model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_none=True)


class JsonAnswer(Response):
    """A JSON body ready as bytes. Its headers are set directly: Starlette's constructor would
    look through them for a content type on every answer."""

    media_type = JSON

    def __init__(
        self, body: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", _JSON_BYTES),
        ]
        if headers:
            self.raw_headers.extend(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in headers.items()
            )


def json_answer(
    body: BaseModel | bytes, status_code: int = 200, *, headers: Mapping[str, str] | None = None
) -> JsonAnswer:
    """The answer: a contract model, or the bytes ``json_bytes`` made of one."""
    return JsonAnswer(
        body if isinstance(body, bytes) else json_bytes(body), status_code, headers=headers
    )
