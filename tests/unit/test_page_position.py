"""The one range check every (time, id) page cursor goes through: ``PagePosition.from_token``
takes a position the server may have given (a moment in years 1 to 9999, an id in 1..2**63-1)
and refuses every other well-formed token as it refuses a garbled one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dbskit.database.values import from_micros, to_micros
from dbskit.market.domain.query_log import (
    PAGE_MOMENT_MAX_US,
    PAGE_MOMENT_MIN_US,
    InvalidPageToken,
    PagePosition,
)

ID_MAX = 2**63 - 1  # the largest id a 64-bit column holds


def test_the_moment_bounds_are_the_first_and_last_storable_moments() -> None:
    assert to_micros(datetime.min.replace(tzinfo=UTC)) == PAGE_MOMENT_MIN_US
    assert to_micros(datetime.max.replace(tzinfo=UTC)) == PAGE_MOMENT_MAX_US
    # Each bound reads back as a time; one microsecond past it does not.
    assert from_micros(PAGE_MOMENT_MIN_US).year == 1
    assert from_micros(PAGE_MOMENT_MAX_US).year == 9999
    for outside in (PAGE_MOMENT_MIN_US - 1, PAGE_MOMENT_MAX_US + 1):
        with pytest.raises(OverflowError):
            from_micros(outside)


@pytest.mark.parametrize(
    "position",
    [
        PagePosition(PAGE_MOMENT_MIN_US, 1),
        PagePosition(PAGE_MOMENT_MAX_US, ID_MAX),
        PagePosition(0, 1),
        PagePosition(-1, 2),  # before 1970 is still a moment
        PagePosition(1_700_000_000_000_000, 42),
    ],
)
def test_a_position_in_range_is_read_back(position: PagePosition) -> None:
    assert PagePosition.from_token(position.token()) == position


@pytest.mark.parametrize(
    "position",
    [
        PagePosition(PAGE_MOMENT_MIN_US - 1, 1),  # before year 1
        PagePosition(PAGE_MOMENT_MAX_US + 1, 1),  # past year 9999
        PagePosition(-(2**70), 1),
        PagePosition(2**70, 1),
        PagePosition(0, 0),  # ids start at 1
        PagePosition(0, -1),
        PagePosition(0, ID_MAX + 1),  # over 64 bits
        PagePosition(PAGE_MOMENT_MAX_US + 1, ID_MAX + 1),
    ],
)
def test_a_well_formed_token_out_of_range_is_refused(position: PagePosition) -> None:
    token = position.token()
    with pytest.raises(InvalidPageToken) as refused:
        PagePosition.from_token(token)
    assert refused.value.args == (token,)
