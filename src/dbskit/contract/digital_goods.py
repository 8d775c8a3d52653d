"""deliverDigitalGoods (``provideOrderDigitalCodes``): the request as the seed defines it.

R-004..R-008 and the profile differences C-03..C-06. Parsing happens in two steps so that one
parser serves both profiles:

1. ``request_model(profile)`` validates the document (field types and limits), giving the
   Market's one-entry-per-violation 400 through ``contract/validation.py``;
2. ``submission(document, profile=...)`` applies the rules that span elements: ``code`` versus
   ``codes``, the merge of elements with the same item ``id`` and the uniqueness of keys over
   the merged list (seed), or one element per ``id`` (2026), and collects the warnings the
   sandbox shows (deprecated ``code``, keys longer than the 2026 limit).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from dbskit.contract import limits
from dbskit.contract._base import ContractModel, Int64
from dbskit.contract.call_warnings import CallWarning, WarningCode
from dbskit.contract.errors import BadRequest, ErrorCode, ErrorDetail, Messages
from dbskit.contract.operations import Profile

_DATE = re.compile(limits.DATE_ISO_PATTERN, re.ASCII)
# What ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` does, without building an
# encoder on each call: the digests already stored were taken over this text.
_DIGEST_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _iso_date(value: Any) -> date:
    """``YYYY-MM-DD`` and nothing else: no numbers, no date-times, a real calendar date (R-005)."""
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    if _DATE.fullmatch(value) is None:
        raise PydanticCustomError(
            "string_pattern_mismatch", "String should match pattern", {"pattern": _DATE.pattern}
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_parsing", "Input should be a valid date") from None


def _not_in_2026(_value: Any) -> None:
    """C-03: the 2026 spec removed ``code``; the field is then unknown."""
    raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")


ActivateTill = Annotated[date, BeforeValidator(_iso_date)]
Slip = Annotated[str, Field(max_length=limits.DIGITAL_SLIP_MAX_LENGTH)]
Key2026 = Annotated[str, Field(max_length=limits.DIGITAL_CODE_MAX_LENGTH_2026)]


class OrderDigitalItem(ContractModel):
    """One element of ``items`` (R-005): the seed's ``OrderDigitalItemDTO``."""

    id: Int64
    slip: Slip
    activate_till: ActivateTill
    codes: (
        Annotated[
            list[str],
            Field(min_length=limits.DIGITAL_CODES_MIN, max_length=limits.DIGITAL_CODES_MAX),
        ]
        | None
    ) = None
    code: str | None = None  # deprecated (C-03): one key


class OrderDigitalItem2026(ContractModel):
    """The 2026 spec's element: ``codes`` required, keys of at most 256 characters, no ``code``."""

    id: Int64
    slip: Slip
    activate_till: ActivateTill
    codes: Annotated[
        list[Key2026],
        Field(min_length=limits.DIGITAL_CODES_MIN, max_length=limits.DIGITAL_CODES_MAX),
    ]
    code: Annotated[None, BeforeValidator(_not_in_2026), Field(exclude=True)] = None


class ProvideOrderDigitalCodesRequest(ContractModel):
    """The seed's body (R-004): 1 to 100 elements."""

    items: Annotated[
        list[OrderDigitalItem],
        Field(min_length=limits.DIGITAL_ITEMS_MIN, max_length=limits.DIGITAL_ITEMS_MAX),
    ]


class ProvideOrderDigitalCodesRequest2026(ContractModel):
    """The 2026 spec's body (C-03..C-06)."""

    items: Annotated[
        list[OrderDigitalItem2026],
        Field(min_length=limits.DIGITAL_ITEMS_MIN, max_length=limits.DIGITAL_ITEMS_MAX),
    ]


DigitalGoodsDocument = ProvideOrderDigitalCodesRequest | ProvideOrderDigitalCodesRequest2026

_MODELS: dict[Profile, type[DigitalGoodsDocument]] = {
    Profile.SEED: ProvideOrderDigitalCodesRequest,
    Profile.SPEC_2026: ProvideOrderDigitalCodesRequest2026,
}


def request_model(profile: Profile) -> type[DigitalGoodsDocument]:
    return _MODELS[profile]


# Warnings kept with the delivery for the sandbox order view (C-03, C-04).
WARNING_CODE_DEPRECATED = "Field {field}.code is deprecated: send the key in {field}.codes"
WARNING_KEY_TOO_LONG = (
    "Value / length of field {field} ({length}) is over {limit}, the limit of the current spec"
)


@dataclass(frozen=True, slots=True)
class KeyBatch:
    """The keys of one element, with the instructions and date sent beside them."""

    codes: tuple[str, ...]
    slip: str
    activate_till: date


@dataclass(frozen=True, slots=True)
class DigitalItemKeys:
    """All keys for one order item: the elements with its ``id``, merged (C-06)."""

    item_id: int
    batches: tuple[KeyBatch, ...]
    first_index: int = 0  # where in ``items[]`` the item first appears, for error paths

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for batch in self.batches for code in batch.codes)


@dataclass(frozen=True, slots=True)
class DigitalGoodsSubmission:
    """A validated request: keys per item in the order of first appearance, plus warnings."""

    items: tuple[DigitalItemKeys, ...]
    warnings: tuple[CallWarning, ...] = ()
    # Taken once: the rules compare it with the stored one, then it is stored.
    _digest: str | None = field(default=None, init=False, repr=False, compare=False)

    def keys_by_item(self) -> dict[int, tuple[str, ...]]:
        return {item.item_id: item.codes for item in self.items}

    def canonical(self) -> list[dict[str, Any]]:
        """The payload without warnings, as JSON values: two calls are identical when equal."""
        return [
            {
                "id": item.item_id,
                "batches": [
                    {
                        "codes": list(batch.codes),
                        "slip": batch.slip,
                        "activate_till": batch.activate_till.isoformat(),
                    }
                    for batch in item.batches
                ],
            }
            for item in self.items
        ]

    def digest(self) -> str:
        digest = self._digest
        if digest is None:
            payload = _DIGEST_JSON.encode(self.canonical())
            digest = hashlib.sha256(payload.encode()).hexdigest()
            object.__setattr__(self, "_digest", digest)
        return digest

    @classmethod
    def from_canonical(cls, items: Sequence[Mapping[str, Any]]) -> DigitalGoodsSubmission:
        """The submission ``canonical()`` describes (as stored; warnings are kept apart)."""
        return cls(
            tuple(
                DigitalItemKeys(
                    int(item["id"]),
                    tuple(
                        KeyBatch(
                            tuple(batch["codes"]),
                            batch["slip"],
                            date.fromisoformat(batch["activate_till"]),
                        )
                        for batch in item["batches"]
                    ),
                    index,
                )
                for index, item in enumerate(items)
            )
        )


def submission(document: DigitalGoodsDocument, *, profile: Profile) -> DigitalGoodsSubmission:
    """Merge and check the elements (R-006, R-008, C-03..C-06); 400 with every violation."""
    errors: list[ErrorDetail] = []
    warnings: list[CallWarning] = []
    batches: dict[int, list[KeyBatch]] = {}
    first_index: dict[int, int] = {}
    # key -> where it first appeared, per item id: uniqueness over the merged list (C-06).
    seen: dict[int, dict[str, tuple[str, bool, int]]] = {}

    elements: Sequence[OrderDigitalItem | OrderDigitalItem2026] = document.items
    for index, element in enumerate(elements):
        field = f"items[{index}]"
        if element.id in first_index and profile is Profile.SPEC_2026:
            first = f"items[{first_index[element.id]}].id"
            message = Messages.DUPLICATE_ITEM_ID.format(
                field=f"{field}.id", item_id=element.id, first=first
            )
            errors.append(ErrorDetail(ErrorCode.BAD_REQUEST, message))
            continue
        first_index.setdefault(element.id, index)
        keys = _element_keys(element, field, errors, warnings)
        if keys is None:
            continue
        item_seen = seen.setdefault(element.id, {})
        from_codes = element.codes is not None
        for position, key in enumerate(keys):
            earlier = item_seen.get(key)
            if earlier is not None:
                message = Messages.DUPLICATE_KEY.format(
                    field=_key_field(field, from_codes, position),
                    value=key,
                    first=_key_field(*earlier),
                )
                errors.append(ErrorDetail(ErrorCode.BAD_REQUEST, message))
                continue
            item_seen[key] = (field, from_codes, position)
            if len(key) > limits.DIGITAL_CODE_MAX_LENGTH_2026:
                message = WARNING_KEY_TOO_LONG.format(
                    field=_key_field(field, from_codes, position),
                    length=len(key),
                    limit=limits.DIGITAL_CODE_MAX_LENGTH_2026,
                )
                warnings.append(CallWarning(WarningCode.OVER_CURRENT_SPEC_LIMIT, message))
        batches.setdefault(element.id, []).append(
            KeyBatch(tuple(keys), element.slip, element.activate_till)
        )

    if errors:
        raise BadRequest(errors=errors)
    items = tuple(
        DigitalItemKeys(item_id, tuple(group), first_index[item_id])
        for item_id, group in batches.items()
    )
    return DigitalGoodsSubmission(items, tuple(warnings))


def _element_keys(
    element: OrderDigitalItem | OrderDigitalItem2026,
    field: str,
    errors: list[ErrorDetail],
    warnings: list[CallWarning],
) -> list[str] | None:
    """The keys of one element: ``codes``, or the deprecated ``code`` alone (C-03, C-05, R-006)."""
    codes: list[str] | None = element.codes
    code = element.code
    if codes is not None and code is not None:
        errors.append(
            ErrorDetail(ErrorCode.BAD_REQUEST, Messages.CODE_WITH_CODES.format(field=field))
        )
        return None
    if codes is not None:
        return codes
    if code is not None:
        message = WARNING_CODE_DEPRECATED.format(field=field)
        warnings.append(CallWarning(WarningCode.DEPRECATED_FIELD, message))
        return [code]
    errors.append(
        ErrorDetail(ErrorCode.BAD_REQUEST, Messages.MISSING_FIELD.format(field=f"{field}.codes"))
    )
    return None


def _key_field(element_field: str, from_codes: bool, position: int) -> str:
    return f"{element_field}.codes[{position}]" if from_codes else f"{element_field}.code"
