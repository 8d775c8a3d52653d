"""The rules of PUT identifiers, its answer, identifiers/status, and marking in the status model.

R-025, R-028..R-035, R-121; our decisions OQ-07 (counts, duplicates, unknown items), OQ-08 (only
in PROCESSING; each call replaces the codes of the items it lists) and OQ-12 (DBS codes are
``NOT_ON_VALIDATION``). Stored codes come in as ``codes_by_item``: item id -> its codes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from dbskit.contract.enums import (
    BuyerType,
    CisStatus,
    InstanceType,
    OrderStatus,
    OrderSubstatus,
    UinStatus,
    Vat,
)
from dbskit.contract.errors import (
    BadRequest,
    ErrorCode,
    ErrorDetail,
    InvalidOrderStatus,
    Messages,
    item_not_found,
)
from dbskit.contract.identifiers import (
    BriefOrderItem,
    CisValidation,
    GetOrderIdentifiersStatusResponse,
    GetOrderIdentifiersStatusResult,
    OrderItemsModificationResult,
    OrderItemValidationStatus,
    ProvideOrderItemIdentifiersRequest,
    ProvideOrderItemIdentifiersResponse,
    UinValidation,
)
from dbskit.market.domain.marking import MarkingCode, instance_identifier, parse_instance
from dbskit.market.domain.order import Order

CodesByItem = Mapping[int, Sequence[MarkingCode]]


class CodesItem(Protocol):
    """What PUT identifiers reads of an item: its units, the kinds it needs, the answer's fields."""

    @property
    def id(self) -> int: ...

    @property
    def count(self) -> int: ...

    @property
    def required_instance_types(self) -> Set[InstanceType]: ...

    @property
    def vat(self) -> Vat: ...

    @property
    def price(self) -> Decimal: ...

    @property
    def offer_name(self) -> str: ...

    @property
    def offer_id(self) -> str: ...


class CodesOrder(Protocol):
    """What PUT identifiers' rules and answer read of an order (an ``Order`` is one)."""

    @property
    def id(self) -> int: ...

    @property
    def status(self) -> OrderStatus: ...

    def item(self, item_id: int) -> CodesItem | None: ...


IDENTIFIERS_STATUSES = (OrderStatus.PROCESSING,)  # OQ-08

# Kinds whose count is checked per unit, and the codes of their count errors (OQ-07).
_COUNT_CODES = {
    InstanceType.CIS: (ErrorCode.TOO_FEW_CISES_FOR_ITEM, ErrorCode.TOO_MANY_CISES_FOR_ITEM),
    InstanceType.UIN: (ErrorCode.TOO_FEW_UINS_FOR_ITEM, ErrorCode.TOO_MANY_UINS_FOR_ITEM),
    InstanceType.RNPT: (ErrorCode.BAD_REQUEST, ErrorCode.BAD_REQUEST),
    InstanceType.GTD: (ErrorCode.BAD_REQUEST, ErrorCode.BAD_REQUEST),
}
# Kinds whose codes must cover every unit of an item that requires them (R-027, OQ-07).
_EXACT_COUNT_KINDS = (InstanceType.CIS, InstanceType.UIN)
# A unit is one code in these systems, so a repeat within the order is an error (OQ-07); one
# customs declaration (RNPT, GTD) covers many units.
_DUPLICATE_CODES = {
    InstanceType.CIS: ErrorCode.DUPLICATE_CIS,
    InstanceType.UIN: ErrorCode.DUPLICATE_UIN,
}


@dataclass(frozen=True, slots=True)
class MarkingSwitches:
    strict_widths: bool = False  # C-09
    strict_country_code: bool = False  # C-10


def stored_codes(order: Order) -> dict[int, tuple[MarkingCode, ...]]:
    """The codes the order's items carry now (R-035), by item id."""
    return {item.id: item.instances for item in order.items if item.instances}


def required_kinds(item: CodesItem) -> tuple[InstanceType, ...]:
    """The kinds whose codes must cover every unit of the item (R-027, OQ-07)."""
    return _required_of(frozenset(item.required_instance_types))


@functools.lru_cache(maxsize=64)  # an item requires one kind or none: a handful of sets
def _required_of(required_instance_types: frozenset[InstanceType]) -> tuple[InstanceType, ...]:
    return tuple(kind for kind in _EXACT_COUNT_KINDS if kind in required_instance_types)


def provide_order_item_identifiers(
    order: CodesOrder,
    request: ProvideOrderItemIdentifiersRequest,
    *,
    stored: CodesByItem,
    switches: MarkingSwitches = MarkingSwitches(),
) -> dict[int, tuple[MarkingCode, ...]]:
    """The new codes of each listed item, or 400 with every violation (R-028..R-033, OQ-07/08)."""
    if order.status not in IDENTIFIERS_STATUSES:
        raise InvalidOrderStatus(
            order_id=order.id, status=order.status, allowed=IDENTIFIERS_STATUSES
        )
    errors: list[ErrorDetail] = []
    replaced: dict[int, tuple[MarkingCode, ...]] = {}
    # (the instance's field, item id, code) in request order
    entries: list[tuple[str, int, MarkingCode]] = []
    first_index: dict[int, int] = {}
    strict_widths, strict_country_code = switches.strict_widths, switches.strict_country_code

    for index, element in enumerate(request.items):
        item_id = element.id
        if item_id in first_index:
            message = Messages.DUPLICATE_ITEM_ID.format(
                field=f"items[{index}].id",
                item_id=item_id,
                first=f"items[{first_index[item_id]}].id",
            )
            errors.append(ErrorDetail(ErrorCode.BAD_REQUEST, message))
            continue
        first_index[item_id] = index
        item = order.item(item_id)
        if item is None:
            errors.append(
                item_not_found(order_id=order.id, item_id=item_id, field=f"items[{index}].id")
            )
            continue
        codes: list[MarkingCode] = []
        kinds: list[InstanceType | None] = []
        for position, instance in enumerate(element.instances):
            identifier = instance_identifier(instance)
            kinds.append(None if identifier is None else identifier[0])
            instance_field = f"items[{index}].instances[{position}]"
            parsed = parse_instance(
                instance,
                identifier,
                instance_field,
                strict_widths=strict_widths,
                strict_country_code=strict_country_code,
            )
            if isinstance(parsed, list):
                errors.extend(parsed)
                continue
            codes.append(parsed)
            entries.append((instance_field, item_id, parsed))
        errors.extend(_count_errors(item, kinds))
        replaced[item_id] = tuple(codes)

    errors.extend(_duplicate_errors(stored, replaced, entries))
    if errors:
        raise BadRequest(errors=errors)
    return replaced


def _count_errors(item: CodesItem, kinds: Sequence[InstanceType | None]) -> list[ErrorDetail]:
    """One code per unit (R-028): never more than ``count``; exactly ``count`` where required."""
    count = item.count
    required = required_kinds(item)
    if len(kinds) <= count and all(kinds.count(kind) == count for kind in required):
        return []  # no kind over the count and each required one at it: the usual call
    errors: list[ErrorDetail] = []
    for kind, (too_few, too_many) in _COUNT_CODES.items():
        given = kinds.count(kind)
        if given > count:
            code, template = too_many, Messages.TOO_MANY_CODES
        elif kind in required and given < count:
            code, template = too_few, Messages.TOO_FEW_CODES
        else:
            continue
        message = template.format(item_id=item.id, expected=count, kind=kind.value, given=given)
        errors.append(ErrorDetail(code, message))
    return errors


def _duplicate_errors(
    stored: CodesByItem,
    replaced: Mapping[int, Sequence[MarkingCode]],
    entries: Sequence[tuple[str, int, MarkingCode]],
) -> list[ErrorDetail]:
    """A CIS or UIN marks one unit of the order only (OQ-07); codes kept by OQ-08 count too."""
    owner: dict[tuple[InstanceType, str], int] = {}
    for item_id, kept in stored.items():
        if item_id not in replaced:
            for code in kept:
                owner.setdefault((code.kind, code.identity), item_id)
    errors: list[ErrorDetail] = []
    for field, item_id, code in entries:
        duplicate_code = _DUPLICATE_CODES.get(code.kind)
        if duplicate_code is None:
            continue
        key = (code.kind, code.identity)
        if key in owner:
            message = Messages.DUPLICATE_CODE.format(
                field=f"{field}.{code.kind.value.lower()}", kind=code.kind.value, item_id=owner[key]
            )
            errors.append(ErrorDetail(duplicate_code, message))
        else:
            owner[key] = item_id
    return errors


def identifiers_answer(
    order: CodesOrder, codes_by_item: CodesByItem, item_ids: Sequence[int]
) -> ProvideOrderItemIdentifiersResponse:
    """R-034: brief data and the stored codes of each item the call listed."""
    items: list[BriefOrderItem] = []
    for item_id in item_ids:
        item = order.item(item_id)
        if item is None:
            continue
        codes = codes_by_item.get(item_id)
        items.append(
            BriefOrderItem(
                id=item.id,
                vat=item.vat,
                count=item.count,
                price=item.price,
                offer_name=item.offer_name,
                offer_id=item.offer_id,
                instances=[code.as_instance() for code in codes] if codes else None,
            )
        )
    return ProvideOrderItemIdentifiersResponse(result=OrderItemsModificationResult(items=items))


# the moves that need every mandatory code of a BUSINESS order.
MARKING_GATED_SUBSTATUSES = frozenset({OrderSubstatus.READY_TO_SHIP})
MARKING_GATED_STATUSES = frozenset({OrderStatus.DELIVERY})


def marking_shortfall(order: Order, codes_by_item: CodesByItem) -> list[ErrorDetail]:
    """Items of a BUSINESS order with fewer CIS/UIN codes than units, as error entries (R-025)."""
    if order.buyer_type is not BuyerType.BUSINESS:
        return []
    errors: list[ErrorDetail] = []
    for item in order.items:
        kinds = [code.kind for code in codes_by_item.get(item.id, ())]
        for kind in required_kinds(item):
            given = kinds.count(kind)
            if given < item.count:
                errors.append(
                    ErrorDetail(
                        _COUNT_CODES[kind][0],
                        Messages.MARKING_INCOMPLETE.format(
                            order_id=order.id,
                            target="{target}",
                            item_id=item.id,
                            given=given,
                            expected=item.count,
                            kind=kind.value,
                        ),
                    )
                )
    return errors


def check_marking_before_status(
    order: Order,
    codes_by_item: CodesByItem,
    *,
    status: OrderStatus,
    substatus: OrderSubstatus | None,
) -> None:
    """400 when PUT status would take a BUSINESS order past marking without its codes (R-025).

    The status service calls this before ``READY_TO_SHIP`` and ``DELIVERY``; other moves pass.
    """
    if status not in MARKING_GATED_STATUSES and substatus not in MARKING_GATED_SUBSTATUSES:
        return
    target = substatus.value if substatus in MARKING_GATED_SUBSTATUSES else status.value
    missing = marking_shortfall(order, codes_by_item)
    if missing:
        raise BadRequest(
            errors=[
                ErrorDetail(error.code, error.message.replace("{target}", target))
                for error in missing
            ]
        )


def identifiers_status(
    order: Order, codes_by_item: CodesByItem
) -> GetOrderIdentifiersStatusResponse:
    """R-121 for a DBS order: every stored CIS and UIN is ``NOT_ON_VALIDATION`` (R-026, OQ-12)."""
    items = []
    for item in order.items:
        codes = codes_by_item.get(item.id, ())
        cis = [
            CisValidation(value=code.value, status=CisStatus.NOT_ON_VALIDATION)
            for code in codes
            if code.kind is InstanceType.CIS
        ]
        uin = [
            UinValidation(value=code.value, status=UinStatus.NOT_ON_VALIDATION)
            for code in codes
            if code.kind is InstanceType.UIN
        ]
        if cis or uin:
            items.append(OrderItemValidationStatus(id=item.id, uin=uin or None, cis=cis or None))
    return GetOrderIdentifiersStatusResponse(result=GetOrderIdentifiersStatusResult(items=items))
