"""The catalogue from a YML (Yandex Market Language) feed, parsed with defusedxml.

DTDs are allowed (feeds carry them) but entity declarations and external references are
refused, so a "billion laughs" document fails at once instead of expanding. Offers are read as
the parser streams them; a problem names the offer's line.

Read per ``<offer id=... available=...>``: ``name``, ``price``, ``count`` (units in stock),
``downloadable`` (digital goods), ``vat``, ``param name="sellerInn"`` and ``param name="feedId"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from dbskit.store_data.catalogue import Offer
from dbskit.store_data.loaders._offers import FieldProblem, OfferFields, build_offer
from dbskit.store_data.loaders.errors import Problem, StoreDataError

_CHUNK = 1 << 16
_TEXT_FIELDS = {
    "name": "name",
    "price": "price",
    "count": "stock",
    "downloadable": "digital",
    "vat": "vat",
}
_PARAMS = {"sellerInn": "seller_inn", "feedId": "feed_id"}
_MAX_PROBLEMS = 20


class _FeedTarget:
    """Collects offers from the expat parser's element and text events."""

    def __init__(self, expat: Any, *, feed_id: int, seller_inn: str | None, file: str) -> None:
        self._expat = expat
        self._feed_id = feed_id
        self._seller_inn = seller_inn
        self._file = file
        self.offers: list[Offer] = []
        self.problems: list[Problem] = []
        self._current: OfferFields | None = None
        self._line = 0
        self._field: str | None = None
        self._text: list[str] = []
        self.saw_root = False

    def start(self, tag: str, attributes: list[str]) -> None:
        # ``attributes`` is [name, value, name, value, ...] (expat's ordered_attributes).
        if not self.saw_root:
            self.saw_root = True
            if tag != "yml_catalog":
                raise _NotYml(tag)
        if tag == "offer":
            self._line = self._expat.CurrentLineNumber
            attrib = dict(zip(attributes[::2], attributes[1::2], strict=True))
            self._current = OfferFields(
                offer_id=attrib.get("id"), available=attrib.get("available")
            )
        elif self._current is not None:
            if tag == "param":
                attrib = dict(zip(attributes[::2], attributes[1::2], strict=True))
                self._field = _PARAMS.get(attrib.get("name", ""))
            else:
                self._field = _TEXT_FIELDS.get(tag)
            self._text = []

    def data(self, text: str) -> None:
        if self._field is not None:
            self._text.append(text)

    def end(self, tag: str) -> None:
        current = self._current
        if current is None:
            return
        if tag == "offer":
            self._finish(current)
            self._current = None
        elif self._field is not None:
            setattr(current, self._field, "".join(self._text))
            self._field = None

    def _finish(self, fields: OfferFields) -> None:
        try:
            self.offers.append(
                build_offer(fields, feed_id=self._feed_id, seller_inn=self._seller_inn)
            )
        except FieldProblem as exc:
            if len(self.problems) < _MAX_PROBLEMS:
                where = f"line {self._line} (offer {fields.offer_id!r})"
                self.problems.append(Problem(self._file, where, str(exc)))


class _NoTree:
    """The parser's own target: it builds nothing (the collector gets the events)."""

    def close(self) -> None:
        return None


class _NotYml(Exception):
    def __init__(self, tag: str) -> None:
        self.tag = tag


def read_yml(path: Path, *, feed_id: int, seller_inn: str | None) -> list[Offer]:
    file = str(path)
    parser = DefusedXMLParser(
        target=_NoTree(), forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    # defusedxml has set the expat parser's DOCTYPE and entity handlers; the element and text
    # handlers go straight to the collector (no element tree: a feed can be large).
    expat = parser.parser
    target = _FeedTarget(expat, feed_id=feed_id, seller_inn=seller_inn, file=file)
    expat.StartElementHandler = target.start
    expat.EndElementHandler = target.end
    expat.CharacterDataHandler = target.data
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                parser.feed(chunk)
        parser.close()
    except OSError as exc:
        raise StoreDataError.one(file, "", f"cannot be read: {exc.strerror or exc}") from None
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber
        raise StoreDataError.one(file, f"line {line}", f"refused: {_defused_reason(exc)}") from None
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":", 1)[0]
        raise StoreDataError.one(
            file, f"line {line}, column {column + 1}", f"not well-formed XML: {reason}"
        ) from None
    except _NotYml as exc:
        raise StoreDataError.one(
            file, "line 1", f"root element is <{exc.tag}>, not <yml_catalog>"
        ) from None
    if target.problems:
        raise StoreDataError(target.problems)
    return target.offers


def _defused_reason(exc: DefusedXmlException) -> str:
    name = type(exc).__name__
    if name == "EntitiesForbidden":
        return "entity declarations are not allowed in a feed (no entity expansion)"
    if name == "ExternalReferenceForbidden":
        return "external references are not allowed in a feed"
    return str(exc)
