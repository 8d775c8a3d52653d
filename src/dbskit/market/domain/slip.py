"""The activation instructions (``slip``) and the buyer's e-mail with the keys.

R-005 allows a few HTML tags in the slip: headings (``<h>``, ``<h1>``..``<h6>``), ``<br>``,
``<p>``, ``<ol>``, ``<ul>``, ``<li>`` (only inside ``<ol>``/``<ul>``) and ``<div>``. The e-mail
shows the slip cleaned by ``nh3`` down to those tags without any attribute; ``nh3`` knows no
parent rules, so a second pass over its (well-formed) output drops ``<li>`` tags that are not
directly in a list and keeps their text. R-011: the e-mail carries the keys, ``activate_till``
and the instructions.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

from dbskit.contract import limits
from dbskit.contract.digital_goods import DigitalGoodsSubmission
from dbskit.market.domain.order import Order

_LISTS = frozenset({"ol", "ul"})
_VOID = frozenset({"br"})
_DROPPED = "li!"  # stack marker of a stray <li> whose tags are dropped


def sanitise_slip(slip: str) -> str:
    """The slip with only the documented tags, no attributes, comments or scripts (R-005)."""
    cleaned = nh3.clean(
        slip,
        tags=set(limits.DIGITAL_SLIP_TAGS),
        attributes={},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    return _ListItemsInLists.apply(cleaned)


def slip_text(slip: str) -> str:
    """The slip as plain text, for the e-mail's text part."""
    return html.unescape(nh3.clean(slip, tags=set(), attributes={}, strip_comments=True))


class _ListItemsInLists(HTMLParser):
    """Re-emits sanitised HTML, unwrapping ``<li>`` whose parent is not ``<ol>``/``<ul>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self._out: list[str] = []
        self._open: list[str] = []

    @classmethod
    def apply(cls, markup: str) -> str:
        parser = cls()
        parser.feed(markup)
        parser.close()
        return "".join(parser._out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self._out.append(f"<{tag}>")
            return
        if tag == "li" and (not self._open or self._open[-1] not in _LISTS):
            self._open.append(_DROPPED)
            return
        self._open.append(tag)
        self._out.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not self._open:
            return
        opened = self._open.pop()
        if opened != _DROPPED:
            self._out.append(f"</{opened}>")

    def handle_data(self, data: str) -> None:
        self._out.append(data)

    def handle_entityref(self, name: str) -> None:
        self._out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._out.append(f"&#{name};")


@dataclass(frozen=True, slots=True)
class KeysEmail:
    """The buyer's e-mail with the keys (R-011), as the outbox keeps it."""

    subject: str
    html: str
    text: str


def render_keys_email(order: Order, submission: DigitalGoodsSubmission) -> KeysEmail:
    """The e-mail the Market sends after deliverDigitalGoods: per item its keys, the date to
    activate them before and the seller's instructions (R-011, R-005)."""
    subject = f"Your keys for order {order.id}"
    parts = [f"<h1>{html.escape(subject)}</h1>"]
    lines = [subject, ""]
    for item_keys in submission.items:
        item = order.item(item_keys.item_id)
        name = item.offer_name if item is not None else f"Item {item_keys.item_id}"
        parts.append(f"<h2>{html.escape(name)}</h2>")
        lines.append(name)
        for batch in item_keys.batches:
            until = batch.activate_till.isoformat()
            keys = "".join(f"<li>{html.escape(code)}</li>" for code in batch.codes)
            parts.append(f"<ol>{keys}</ol>")
            parts.append(f"<p>Activate before {until}</p>")
            parts.append(f"<div>{sanitise_slip(batch.slip)}</div>")
            lines.extend(f"  {code}" for code in batch.codes)
            lines.append(f"Activate before {until}")
            lines.append(slip_text(batch.slip))
        lines.append("")
    return KeysEmail(subject=subject, html="".join(parts), text="\n".join(lines).rstrip() + "\n")
