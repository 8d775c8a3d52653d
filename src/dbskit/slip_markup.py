"""The markup R-005 allows in a digital item's ``slip``, shared by the Market and the store.

R-005 allows headings (``<h>``, ``<h1>``..``<h6>``), ``<br>``, ``<p>``, ``<ol>``, ``<ul>``,
``<li>`` (only inside ``<ol>``/``<ul>``) and ``<div>``. ``nh3`` cleans the slip down to those tags
without any attribute or comment; it knows no parent rules, so a second pass over its
(well-formed) output drops ``<li>`` tags that are not directly in a list and keeps their text.
The Market's and the store's former copies of this pass behaved alike (``<br>`` is void, its end
tag dropped; a stray ``<li>`` is unwrapped), and this is the Market's behaviour, kept for both.
"""

from __future__ import annotations

from html.parser import HTMLParser

import nh3

from dbskit.contract import limits

_LISTS = frozenset({"ol", "ul"})
_VOID = frozenset({"br"})


def clean_slip_markup(slip: str) -> str:
    """The slip with only the R-005 tags, no attributes, comments or scripts, ``<li>`` only in a
    list. Its length is the caller's concern."""
    cleaned = nh3.clean(
        slip,
        tags=set(limits.DIGITAL_SLIP_TAGS),
        attributes={},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    return _ListItemsInLists.apply(cleaned)


class _ListItemsInLists(HTMLParser):
    """Re-emits sanitised HTML, unwrapping ``<li>`` whose parent is not ``<ol>``/``<ul>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self._out: list[str] = []
        self._open: list[str | None] = []  # None: a stray <li> whose tags are dropped

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
            self._open.append(None)
            return
        self._open.append(tag)
        self._out.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not self._open:
            return
        opened = self._open.pop()
        if opened is not None:
            self._out.append(f"</{opened}>")

    def handle_data(self, data: str) -> None:
        self._out.append(data)

    def handle_entityref(self, name: str) -> None:
        self._out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._out.append(f"&#{name};")
