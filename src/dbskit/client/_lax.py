"""Answers that carry enum values the client does not know yet.

The Market adds statuses and substatuses before a client learns of them: an answer must still
parse. Answers are read with the contract's own model first (pydantic's compiled validator, the
common case, at full speed); only when that fails are they read again with a lax copy of the
model, built once per model, whose enum fields keep an unknown string as a pseudo-member of the
enum: an instance of the enum class, equal to the string, with ``.value`` and ``.name`` set to it,
but not one of ``list(Enum)``. The lax copies subclass the contract models, so ``isinstance`` and
the static types still hold. Request models are never lax.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import (
    BaseModel,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    create_model,
)

Model = TypeVar("Model", bound=BaseModel)
EnumT = TypeVar("EnumT", bound=Enum)

_unknown_members: dict[tuple[type[Enum], str], Enum] = {}


def unknown_member(enum: type[EnumT], value: str) -> EnumT:
    """A member of ``enum`` for a value it does not list (the same object for the same value)."""
    key = (enum, value)
    member = _unknown_members.get(key)
    if member is None:
        # Enum's own __new__ looks the value up; str's makes the instance (every contract enum
        # is a StrEnum).
        member = str.__new__(enum, value) if issubclass(enum, str) else object.__new__(enum)
        member._name_ = value
        member._value_ = value
        _unknown_members[key] = member
    return typing.cast(EnumT, member)


def is_known(member: Enum) -> bool:
    """Whether ``member`` is one of its enum's own members (not a value the client learnt late)."""
    return type(member)._member_map_.get(member.name) is member


def _keep_unknown(enum: type[Enum]) -> Callable[[Any, ValidatorFunctionWrapHandler], Any]:
    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            if isinstance(value, str):
                return unknown_member(enum, value)
            raise

    return validate


def _lax_type(annotation: Any) -> Any:
    """``annotation`` with every enum kept lax and every model replaced by its lax copy."""
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return Annotated[annotation, WrapValidator(_keep_unknown(annotation))]
        if issubclass(annotation, BaseModel):
            return lax_model(annotation)
        return annotation
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is None or not args:
        return annotation
    if origin is Annotated:
        return Annotated[(_lax_type(args[0]), *annotation.__metadata__)]
    lax_args = tuple(_lax_type(arg) for arg in args)
    if lax_args == args:
        return annotation
    if origin in (typing.Union, types.UnionType):
        return typing.Union[lax_args]  # noqa: UP007 - built from a tuple
    if origin is typing.Literal:
        return annotation
    return origin[lax_args if len(lax_args) > 1 else lax_args[0]]


_lax_models: dict[type[BaseModel], type[BaseModel]] = {}


def lax_model(model: type[Model]) -> type[Model]:
    """A subclass of ``model`` whose enum fields, at any depth, keep unknown values (built once
    per model)."""
    built = _lax_models.get(model)
    if built is None:
        built = _lax_models[model] = _build_lax_model(model)
    return typing.cast(type[Model], built)


def _build_lax_model(model: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        lax = _lax_type(info.annotation)
        if lax is not info.annotation:
            fields[name] = (lax, info)
    if not fields:
        return model
    built: type[BaseModel] = create_model(
        model.__name__, __base__=model, __module__=__name__, **fields
    )
    return built


def parse_answer(model: type[Model], content: bytes) -> Model:
    """``content`` as ``model``; read again laxly only when the strict reading fails."""
    try:
        return model.model_validate_json(content)
    except ValidationError:
        return lax_model(model).model_validate_json(content)
