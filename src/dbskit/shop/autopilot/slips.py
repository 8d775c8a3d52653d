"""The activation instructions (``slip``) the store sends with each item's keys.

A template per offer, from the file ``--store-slip-templates`` names: a JSON object of offerId to
HTML, ``"*"`` for every other offer. Placeholders ``{offer_name}``, ``{offer_id}``,
``{order_id}`` and ``{count}`` are filled in, escaped. Without a template the keys' own slips
from the vault are used (distinct ones, in key order), else ``DEFAULT_TEMPLATE``.

Whatever the source, the slip sent holds only the tags R-005 allows, no attribute or comment,
``<li>`` only inside a list (``dbskit.slip_markup``, shared with the Market), and at most 10,000
characters (R-005): valid under both profiles.
"""

from __future__ import annotations

import html
import json
import string
from collections.abc import Mapping, Sequence
from pathlib import Path

import nh3

from dbskit.contract import limits
from dbskit.shop.autopilot.decisions import HeldKey
from dbskit.slip_markup import clean_slip_markup

ANY_OFFER = "*"
PLACEHOLDERS = frozenset({"offer_name", "offer_id", "order_id", "count"})
DEFAULT_TEMPLATE = "<p>{offer_name}: activate the key as the publisher describes.</p>"
# Room left when the text alone is cut to fit: nh3 may complete an entity it finds cut.
_CUT_MARGIN = 16


class SlipTemplateError(ValueError):
    """The templates file cannot be used; the message says why."""


class SlipTemplates:
    def __init__(self, templates: Mapping[str, str] | None = None) -> None:
        self._templates = dict(templates or {})
        for offer_id, template in self._templates.items():
            _check_template(offer_id, template)

    @classmethod
    def load(cls, path: Path | None) -> SlipTemplates:
        if path is None:
            return cls()
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SlipTemplateError(f"{path}: {exc}") from None
        if not isinstance(document, dict) or not all(
            isinstance(value, str) for value in document.values()
        ):
            raise SlipTemplateError(f"{path}: not a JSON object of offerId to HTML text")
        return cls(document)

    def slip_for(
        self, *, order_id: int, offer_id: str, offer_name: str, count: int, keys: Sequence[HeldKey]
    ) -> str:
        template = self._templates.get(offer_id, self._templates.get(ANY_OFFER))
        if template is None:
            own = list(dict.fromkeys(key.slip for key in keys if key.slip))
            if own:
                return sanitise_slip("<br>".join(own))
            template = DEFAULT_TEMPLATE
        values = {
            "offer_name": html.escape(offer_name),
            "offer_id": html.escape(offer_id),
            "order_id": str(order_id),
            "count": str(count),
        }
        return sanitise_slip(template.format_map(values))


def _check_template(offer_id: str, template: str) -> None:
    try:
        fields = {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}
    except ValueError as exc:
        raise SlipTemplateError(f"the template of {offer_id!r}: {exc}") from None
    unknown = sorted(fields - PLACEHOLDERS)
    if unknown:
        raise SlipTemplateError(
            f"the template of {offer_id!r} has unknown placeholders {', '.join(unknown)}; "
            f"known: {', '.join(sorted(PLACEHOLDERS))}"
        )


def sanitise_slip(slip: str) -> str:
    """Only the R-005 tags, no attributes, comments or scripts; ``<li>`` only in a list; at
    most ``DIGITAL_SLIP_MAX_LENGTH`` characters (cut to its text when the markup is longer)."""
    cleaned = clean_slip_markup(slip)
    limit = limits.DIGITAL_SLIP_MAX_LENGTH
    while len(cleaned) > limit:
        cleaned = nh3.clean(cleaned[: limit - _CUT_MARGIN], tags=set(), attributes={})
    return cleaned
