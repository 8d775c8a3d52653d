"""The activation instructions (``slip``) and the buyer's e-mail with the keys.

The e-mail shows the slip cleaned down to the tags R-005 allows (``dbskit.slip_markup``, shared
with the store). R-011: the e-mail carries the keys, ``activate_till`` and the instructions.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import nh3

from dbskit.contract.digital_goods import DigitalGoodsSubmission
from dbskit.market.domain.order import Order
from dbskit.slip_markup import clean_slip_markup


def sanitise_slip(slip: str) -> str:
    """The slip with only the documented tags, no attributes, comments or scripts (R-005)."""
    return clean_slip_markup(slip)


def slip_text(slip: str) -> str:
    """The slip as plain text, for the e-mail's text part."""
    return html.unescape(nh3.clean(slip, tags=set(), attributes={}, strip_comments=True))


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
