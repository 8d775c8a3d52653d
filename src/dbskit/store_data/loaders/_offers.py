"""Offer fields as a feed writes them (text), checked and converted in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dbskit.contract import limits
from dbskit.contract.enums import Vat
from dbskit.store_data.catalogue import Offer

_SKU = re.compile(limits.OFFER_ID_PATTERN)
_INN = re.compile(r"^(\d{10}|\d{12})$")
_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False, "": False}
_VATS = {vat.value: vat for vat in Vat}


class FieldProblem(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


@dataclass(slots=True)
class OfferFields:
    """The text of one offer's fields; ``None`` where the feed leaves a field out."""

    offer_id: str | None = None
    feed_id: str | None = None
    name: str | None = None
    price: str | None = None
    stock: str | None = None
    digital: str | None = None
    seller_inn: str | None = None
    vat: str | None = None
    available: str | None = None


def build_offer(fields: OfferFields, *, feed_id: int, seller_inn: str | None) -> Offer:
    offer_id = (fields.offer_id or "").strip()
    if not offer_id or not _SKU.match(offer_id):
        raise FieldProblem("offerId", f"{fields.offer_id!r} is not a valid offer id (R-044)")
    name = (fields.name or "").strip()
    if not name:
        raise FieldProblem("name", "is missing")
    return Offer(
        feed_id=_feed_id(fields.feed_id, feed_id),
        offer_id=offer_id,
        name=name,
        price=_price(fields.price),
        stock=_stock(fields.stock, fields.available),
        digital=_flag("digital", fields.digital),
        seller_inn=_inn(fields.seller_inn, seller_inn),
        vat=_vat(fields.vat),
    )


def _feed_id(text: str | None, default: int) -> int:
    if text is None or not text.strip():
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise FieldProblem("feedId", f"{text!r} is not a positive integer")
    return int(text)


def _price(text: str | None) -> float:
    try:
        value = float((text or "").strip().replace(",", "."))
    except ValueError:
        raise FieldProblem("price", f"{text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise FieldProblem("price", f"{text!r} must be zero or more")
    return value


def _stock(text: str | None, available: str | None) -> int:
    if available is not None and not _flag("available", available):
        return 0
    if text is None or not text.strip():
        raise FieldProblem("count", "is missing: give the number of units in stock")
    if not text.strip().isdigit():
        raise FieldProblem("count", f"{text!r} is not a whole number of units")
    return int(text)


def _flag(field: str, text: str | None) -> bool:
    value = _FLAGS.get((text or "").strip().lower())
    if value is None:
        raise FieldProblem(field, f"{text!r} is not true or false")
    return value


def _inn(text: str | None, default: str | None) -> str | None:
    if text is None or not text.strip():
        return default
    if not _INN.match(text.strip()):
        raise FieldProblem("sellerInn", f"{text!r} is not a 10- or 12-digit INN")
    return text.strip()


def _vat(text: str | None) -> Vat:
    if text is None or not text.strip():
        return Vat.NO_VAT
    vat = _VATS.get(text.strip())
    if vat is None:
        raise FieldProblem("vat", f"{text!r} is not one of {', '.join(_VATS)}")
    return vat
