"""R-081: schema violations in the Market's wording, one entry per violation, with field paths."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError

from dbskit.contract.validation import field_path, violations


class Item(BaseModel):
    id: int
    slip: Annotated[str, Field(max_length=10)]
    codes: Annotated[list[str], Field(min_length=1, max_length=2)]


class Body(BaseModel):
    items: Annotated[list[Item], Field(min_length=1, max_length=3)]
    code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "RU"
    count: Annotated[int, Field(ge=1, le=5)] = 1


def messages(payload: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate_json(payload)
    return [error.message for error in violations(caught.value.errors())]


@pytest.mark.rule("R-081")
@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        pytest.param(("items", 0, "slip"), "items[0].slip", id="nested"),
        pytest.param(("items", 3), "items[3]", id="index-last"),
        pytest.param(("body", "items"), "body.items", id="plain"),
        pytest.param((), "", id="empty"),
    ],
)
def test_field_path(loc: tuple[int | str, ...], expected: str) -> None:
    assert field_path(loc) == expected


@pytest.mark.rule("R-081")
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            '{"items": [{"id": 1, "slip": "12345678901", "codes": ["a"]}]}',
            ["Value / length of field items[0].slip (11) must be less than or equal to 10"],
            id="string-too-long",
        ),
        pytest.param(
            '{"items": []}',
            ["Collection of field items must not be empty"],
            id="empty-collection",
        ),
        pytest.param(
            '{"items": [{"id": 1, "slip": "", "codes": ["a", "b", "c"]}]}',
            ["Value / length of field items[0].codes (3) must be less than or equal to 2"],
            id="list-too-long",
        ),
        pytest.param(
            '{"items": [{"slip": "", "codes": ["a"]}]}',
            ["Missing field items[0].id"],
            id="missing",
        ),
        pytest.param(
            '{"items": [{"id": "x", "slip": "", "codes": ["a"]}]}',
            ["Value of field items[0].id must be an integer"],
            id="not-an-integer",
        ),
        pytest.param(
            '{"items": [{"id": 1, "slip": "", "codes": ["a"]}], "code": "ru"}',
            ["Value of field code must match the pattern: '^[A-Z]{2}$'"],
            id="pattern",
        ),
        pytest.param(
            '{"items": [{"id": 1, "slip": "", "codes": ["a"]}], "count": 0}',
            ["Value / length of field count (0) must be greater than or equal to 1"],
            id="below-minimum",
        ),
        pytest.param(
            '{"items": [{"id": 1, "slip": "", "codes": ["a"]}], "count": 6}',
            ["Value / length of field count (6) must be less than or equal to 5"],
            id="above-maximum",
        ),
        pytest.param(
            '{"items": [{"id": 1, "slip": "", "codes": []}, {"slip": 5, "codes": ["a"]}]}',
            [
                "Collection of field items[0].codes must not be empty",
                "Missing field items[1].id",
                "Value of field items[1].slip must be a string",
            ],
            id="one-entry-per-violation",
        ),
        pytest.param(
            '{"items": [', ["JSON: EOF while parsing a list at line 1 column 11"], id="json"
        ),
        pytest.param("[1]", ["Value of field body must be an object"], id="not-an-object"),
    ],
)
def test_violation_messages(payload: str, expected: list[str]) -> None:
    assert messages(payload) == expected


@pytest.mark.rule("R-081")
def test_every_violation_is_bad_request() -> None:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate_json('{"items": [{"id": "x"}]}')
    details = violations(caught.value.errors())
    assert {detail.code for detail in details} == {"BAD_REQUEST"}
    assert len(details) == 3


@pytest.mark.rule("R-081")
def test_a_number_compared_from_text_shows_its_value() -> None:
    """Query parameters arrive as text: the message shows the value, not its length."""
    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"items": [{"id": 1, "slip": "", "codes": ["a"]}], "count": "70"})
    assert [error.message for error in violations(caught.value.errors())] == [
        "Value / length of field count (70) must be less than or equal to 5"
    ]
