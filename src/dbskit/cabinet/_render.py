"""The cabinet's pages: Jinja2 templates shipped in the package, every value escaped.

Autoescaping is on for every template, and nothing the sandbox stored from a caller is marked
safe except HTML cleaned by ``nh3`` (``sanitised_html``), so a slip, an offer name, a key, a body
or a header shows as text. The only scripts and styles are the package's own files under
``/cabinet/static`` (the Content-Security-Policy allows no other, and no inline one).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

import nh3
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse

# Tags an e-mail may keep: text structure only; every attribute, style, script, form and link
# target is dropped, so a rendered e-mail can neither run nor load anything.
EMAIL_TAGS: Final = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "br",
        "ol",
        "ul",
        "li",
        "div",
        "span",
        "b",
        "i",
        "strong",
        "em",
        "pre",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "hr",
    }
)


def sanitised_html(markup: str) -> Markup:
    """Caller-made HTML reduced to ``EMAIL_TAGS`` without attributes: safe to place in a page."""
    cleaned = nh3.clean(
        markup,
        tags=set(EMAIL_TAGS),
        clean_content_tags={"script", "style"},
        attributes={},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 - cleaned by nh3 just above


def moment(value: datetime | None) -> str:
    """A sandbox-clock moment as the cabinet shows it (UTC, to the second)."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def pretty_json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dbskit.cabinet", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["moment"] = moment
    env.filters["day"] = day
    env.filters["pretty_json"] = pretty_json
    env.filters["sanitised_html"] = sanitised_html
    return env


def page(template: str, context: Mapping[str, Any], *, status_code: int = 200) -> HTMLResponse:
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)
