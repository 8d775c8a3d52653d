"""The cursors of the cabinet's pages ordered by time (the orders list and the query log): any
string a browser can send is either a position the page reads from (200) or a 400 page naming
the field, never a 5xx; a well-formed token out of every stored range (a moment before year 1 or
past year 9999, an id outside 1..2**63-1) is refused like a garbled one."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbskit.database.values import to_micros
from dbskit.market.domain.query_log import PagePosition
from tests.http.cabinet_pages import SESSION_COOKIE, sign_in

PAGES = ("/cabinet/orders", "/cabinet/requests")
ID_MAX = 2**63 - 1  # the largest id a 64-bit column holds
MOMENT_MIN_US = to_micros(datetime.min.replace(tzinfo=UTC))
MOMENT_MAX_US = to_micros(datetime.max.replace(tzinfo=UTC))
EXAMPLES = 120  # per page: enough to reach both sides of each bound, small enough to stay quick

# Positions around and past every bound, and anything else a query string can carry.
moments = st.one_of(
    st.integers(min_value=MOMENT_MIN_US - 10, max_value=MOMENT_MIN_US + 10),
    st.integers(min_value=MOMENT_MAX_US - 10, max_value=MOMENT_MAX_US + 10),
    st.integers(min_value=-(2**70), max_value=2**70),
)
ids = st.one_of(
    st.integers(min_value=-2, max_value=2),
    st.integers(min_value=ID_MAX - 2, max_value=ID_MAX + 2),
    st.integers(min_value=-(2**70), max_value=2**70),
)
tokens = st.builds(lambda at, row: PagePosition(at, row).token(), moments, ids)
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)  # what a URL can carry
cursors = st.one_of(tokens, texts, st.from_regex(r"[A-Za-z0-9_\-=]{0,40}"))


def in_range(cursor: str) -> bool | None:
    """Whether ``cursor`` is a position the server may have given; None when not a token."""
    try:
        position = PagePosition.from_token(cursor)
    except ValueError:
        return None
    return MOMENT_MIN_US <= position.at_us <= MOMENT_MAX_US and 1 <= position.entry_id <= ID_MAX


def problems(page: str) -> list[str]:
    block = re.search(r'data-testid="problems">(.*?)</ul>', page, re.S)
    assert block is not None, page
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


@pytest.mark.decision("The cabinet's pages and parameters")
@pytest.mark.parametrize("path", PAGES)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cursor=cursors)
async def test_a_cursor_is_a_page_or_a_400_naming_it_never_a_5xx(
    client: httpx.AsyncClient, path: str, cursor: str
) -> None:
    if SESSION_COOKIE not in client.cookies:
        assert (await sign_in(client)).status_code in (302, 303)
    response = await client.get(path, params={"cursor": cursor})
    assert response.status_code < 500, (path, cursor, response.text)
    if not cursor.strip() or in_range(cursor):  # a blank field is no cursor: the first page
        assert response.status_code == 200, (path, cursor)
    else:
        assert response.status_code == 400, (path, cursor)
        assert problems(response.text)[0].startswith("Field cursor"), (path, cursor)


@pytest.mark.decision("The cabinet's pages and parameters")
@pytest.mark.parametrize("path", PAGES)
async def test_a_token_out_of_every_stored_range_is_a_400_naming_the_cursor(
    client: httpx.AsyncClient, path: str
) -> None:
    await sign_in(client)
    past_year_9999 = PagePosition(MOMENT_MAX_US + 1, 1).token()
    before_year_1 = PagePosition(MOMENT_MIN_US - 1, 1).token()
    id_over_64_bits = PagePosition(0, ID_MAX + 1).token()
    id_zero = PagePosition(0, 0).token()
    for cursor in (past_year_9999, before_year_1, id_over_64_bits, id_zero):
        response = await client.get(path, params={"cursor": cursor})
        assert response.status_code == 400, (path, cursor)
        assert problems(response.text)[0].startswith("Field cursor"), (path, cursor)
    last_kept = PagePosition(MOMENT_MAX_US, ID_MAX).token()
    assert (await client.get(path, params={"cursor": last_kept})).status_code == 200
