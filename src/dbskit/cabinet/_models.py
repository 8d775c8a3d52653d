"""A form's fields read into a contract model: the same checks and messages as the control
plane's JSON bodies (a violation is a 400 naming the field by its JSON name)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from dbskit.contract.validation import bad_request_from

M = TypeVar("M", bound=BaseModel)


def model_from(
    model: type[M], document: Mapping[str, object], *, nulls: frozenset[str] = frozenset()
) -> M:
    """``model`` from a document of the form's values; fields not given are left out, but for
    those in ``nulls``, sent as null (a field the form clears)."""
    given = {name: value for name, value in document.items() if value is not None or name in nulls}
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        raise bad_request_from(exc) from None
