"""The request body of a sandbox route, for its OpenAPI entry: the handlers read their bodies
themselves (``http_body.read_json``), so FastAPI does not see them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def json_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` naming ``model`` (by its JSON names) as the JSON body."""
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": schema}},
        }
    }
