"""The buyer's e-mails on a page: shown where they are listed while small, otherwise on a page
of their own (5,000 keys make an e-mail of hundreds of kilobytes). Never cut."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from dbskit.cabinet._auth import PREFIX

# Ours: the most HTML an e-mail may bring into a listing or a timeline; a page with its assets
# stays under 200 KB with a dozen of them.
EMAIL_INLINE_MAX: Final = 16 * 1024


@dataclass(frozen=True, slots=True)
class EmailView:
    """An e-mail's subject and, when small enough, its HTML (cleaned when rendered) and text;
    ``page`` is where the whole e-mail is."""

    subject: str
    html: str | None
    text: str | None
    size: int
    page: str


def email_page(order_id: int, message_id: int) -> str:
    return f"{PREFIX}/orders/{order_id}/emails/{message_id}"


def email_view(
    payload: Mapping[str, object], *, order_id: int | None, message_id: int, whole: bool = False
) -> EmailView:
    html = str(payload.get("html") or "")
    text = str(payload.get("text") or "")
    inline = whole or len(html) + len(text) <= EMAIL_INLINE_MAX
    return EmailView(
        subject=str(payload.get("subject") or ""),
        html=html if inline else None,
        text=(text or None) if inline else None,
        size=len(html.encode()),
        page=email_page(order_id, message_id) if order_id is not None else "",
    )
