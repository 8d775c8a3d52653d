"""deliverDigitalGoods request: the seed schema, the 2026 profile, merging and warnings.

R-004..R-008, C-03..C-06, R-081 (one error entry per violation, indexed field paths).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from dbskit.contract import limits
from dbskit.contract.call_warnings import CallWarning, WarningCode
from dbskit.contract.digital_goods import (
    DigitalGoodsSubmission,
    DigitalItemKeys,
    KeyBatch,
    request_model,
    submission,
)
from dbskit.contract.errors import BadRequest
from dbskit.contract.operations import Profile
from dbskit.http_body import parse_json

SEED = Profile.SEED
P2026 = Profile.SPEC_2026
DAY = "2025-02-18"


def element(item_id: object = 1, codes: Any = ("code1",), **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": item_id, "slip": "slip", "activate_till": DAY}
    if codes is not None:
        body["codes"] = list(codes)
    body.update(fields)
    return body


def parse(body: Any, profile: Profile = SEED) -> DigitalGoodsSubmission:
    document = parse_json(json.dumps(body).encode(), request_model(profile))
    return submission(document, profile=profile)


def messages(body: Any, profile: Profile = SEED) -> list[tuple[str, str]]:
    with pytest.raises(BadRequest) as caught:
        parse(body, profile)
    return [(error.code, error.message) for error in caught.value.errors]


def bad(*texts: str) -> list[tuple[str, str]]:
    return [("BAD_REQUEST", text) for text in texts]


def batch(*codes: str, slip: str = "slip", until: str = DAY) -> KeyBatch:
    return KeyBatch(codes, slip, date.fromisoformat(until))


@pytest.mark.rule("R-008")
def test_seed_example_one_element_per_id() -> None:
    body = {
        "items": [
            element(1, ["code1", "code2", "code3"]),
            element(2, ["code4", "code5", "code6"]),
        ]
    }
    assert parse(body) == DigitalGoodsSubmission(
        (
            DigitalItemKeys(1, (batch("code1", "code2", "code3"),), 0),
            DigitalItemKeys(2, (batch("code4", "code5", "code6"),), 1),
        )
    )


@pytest.mark.rule("R-008", "C-06")
def test_seed_example_split_id_is_merged() -> None:
    body = {"items": [element(1, ["code1", "code2"]), element(1, ["code3"])]}
    result = parse(body)
    assert result.keys_by_item() == {1: ("code1", "code2", "code3")}
    assert result.items == (DigitalItemKeys(1, (batch("code1", "code2"), batch("code3")), 0),)


@pytest.mark.rule("C-03", "R-006")
def test_deprecated_code_alone_is_one_key_with_a_warning() -> None:
    result = parse({"items": [element(7, None, code="only-key")]})
    assert result.keys_by_item() == {7: ("only-key",)}
    assert result.warnings == (
        CallWarning(
            WarningCode.DEPRECATED_FIELD,
            "Field items[0].code is deprecated: send the key in items[0].codes",
        ),
    )


@pytest.mark.rule("C-04")
@pytest.mark.parametrize(
    ("length", "warnings"),
    [
        pytest.param(limits.DIGITAL_CODE_MAX_LENGTH_2026, (), id="at-256-no-warning"),
        pytest.param(
            limits.DIGITAL_CODE_MAX_LENGTH_2026 + 1,
            (
                CallWarning(
                    WarningCode.OVER_CURRENT_SPEC_LIMIT,
                    "Value / length of field items[0].codes[1] (257) is over 256, "
                    "the limit of the current spec",
                ),
            ),
            id="257-accepted-with-warning",
        ),
    ],
)
def test_seed_accepts_long_keys_with_a_warning(
    length: int, warnings: tuple[CallWarning, ...]
) -> None:
    result = parse({"items": [element(1, ["short", "k" * length])]})
    assert result.keys_by_item() == {1: ("short", "k" * length)}
    assert result.warnings == warnings


@pytest.mark.rule("R-004")
@pytest.mark.parametrize(
    ("count", "accepted"),
    [
        pytest.param(limits.DIGITAL_ITEMS_MIN, True, id="1"),
        pytest.param(limits.DIGITAL_ITEMS_MAX, True, id="100"),
    ],
)
def test_items_bounds_accepted(count: int, accepted: bool) -> None:
    result = parse({"items": [element(n, [f"key-{n}"]) for n in range(count)]})
    assert len(result.items) == count


@pytest.mark.rule("R-005")
@pytest.mark.parametrize("profile", [pytest.param(SEED, id="seed"), pytest.param(P2026, id="2026")])
def test_limits_accepted_at_the_boundary(profile: Profile) -> None:
    codes = [f"k{n}" for n in range(limits.DIGITAL_CODES_MAX)]
    slip = "s" * limits.DIGITAL_SLIP_MAX_LENGTH
    result = parse({"items": [element(1, codes, slip=slip)]}, profile)
    assert result.items[0].batches[0].slip == slip
    assert len(result.items[0].codes) == limits.DIGITAL_CODES_MAX


REJECTED_IN_BOTH = [
    pytest.param({}, bad("Missing field items"), id="R-004-items-missing"),
    pytest.param(
        {"items": []}, bad("Collection of field items must not be empty"), id="R-004-items-empty"
    ),
    pytest.param(
        {"items": [element(n, [f"k{n}"]) for n in range(101)]},
        bad("Value / length of field items (101) must be less than or equal to 100"),
        id="R-004-items-101",
    ),
    pytest.param(
        {"items": [element("x")]},
        bad("Value of field items[0].id must be an integer"),
        id="R-005-id-not-integer",
    ),
    pytest.param(
        {"items": [element(2**63)]},
        bad(
            "Value / length of field items[0].id (9223372036854775808) must be less than or equal "
            "to 9223372036854775807"
        ),
        id="R-005-id-over-int64",
    ),
    pytest.param(
        {"items": [element(slip="s" * 10_001)]},
        bad("Value / length of field items[0].slip (10001) must be less than or equal to 10000"),
        id="R-005-slip-10001",
    ),
    pytest.param(
        {"items": [{"id": 1, "codes": ["a"]}]},
        bad("Missing field items[0].slip", "Missing field items[0].activate_till"),
        id="R-005-slip-and-date-missing",
    ),
    pytest.param(
        {"items": [element(activate_till="2025-02-30")]},
        bad("Value of field items[0].activate_till must be a date"),
        id="R-005-date-not-in-calendar",
    ),
    pytest.param(
        {"items": [element(activate_till="2025-02-18T00:00:00")]},
        bad(r"Value of field items[0].activate_till must match the pattern: '^\d{4}-\d{2}-\d{2}$'"),
        id="R-005-date-time-refused",
    ),
    pytest.param(
        {"items": [element(activate_till="18-02-2025")]},
        bad(r"Value of field items[0].activate_till must match the pattern: '^\d{4}-\d{2}-\d{2}$'"),
        id="R-092-dd-mm-yyyy-refused",
    ),
    pytest.param(
        {"items": [element(activate_till="２０２５-02-18")]},
        bad(r"Value of field items[0].activate_till must match the pattern: '^\d{4}-\d{2}-\d{2}$'"),
        id="R-005-date-non-ascii-digits",
    ),
    pytest.param(
        {"items": [element(activate_till=20250218)]},
        bad("Value of field items[0].activate_till must be a string"),
        id="R-005-date-number-refused",
    ),
    pytest.param(
        {"items": [element(codes=[])]},
        bad("Collection of field items[0].codes must not be empty"),
        id="R-005-codes-empty",
    ),
    pytest.param(
        {"items": [element(codes=[f"k{n}" for n in range(5001)])]},
        bad("Value / length of field items[0].codes (5001) must be less than or equal to 5000"),
        id="R-005-codes-5001",
    ),
    pytest.param(
        {"items": [element(codes=["a", 5])]},
        bad("Value of field items[0].codes[1] must be a string"),
        id="R-005-code-not-string",
    ),
    pytest.param(
        {"items": [element(codes=["a", "b", "a"])]},
        bad("Value of field items[0].codes[2] ('a') must be unique: it repeats items[0].codes[0]"),
        id="R-005-codes-unique",
    ),
    pytest.param(
        {"items": [element(codes=["a"], slip=1), element(codes=[])]},
        bad(
            "Value of field items[0].slip must be a string",
            "Collection of field items[1].codes must not be empty",
        ),
        id="R-081-one-entry-per-violation",
    ),
]


@pytest.mark.parametrize("profile", [pytest.param(SEED, id="seed"), pytest.param(P2026, id="2026")])
@pytest.mark.parametrize(("body", "expected"), REJECTED_IN_BOTH)
@pytest.mark.rule("R-004", "R-005", "R-081")
def test_rejected_in_both_profiles(
    body: Any, expected: list[tuple[str, str]], profile: Profile
) -> None:
    assert messages(body, profile) == expected


@pytest.mark.rule("R-006", "C-03", "C-05", "C-06")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"items": [element(codes=["a"], code="b")]},
            bad("Fields items[0].code and items[0].codes must not be used together"),
            id="R-006-code-with-codes",
        ),
        pytest.param(
            {"items": [element(codes=None)]},
            bad("Missing field items[0].codes"),
            id="C-05-neither",
        ),
        pytest.param(
            {"items": [element(codes=None, code=None)]},
            bad("Missing field items[0].codes"),
            id="C-05-code-null",
        ),
        pytest.param(
            {"items": [element(1, ["a", "b"]), element(2, ["a"]), element(1, ["c", "b"])]},
            bad(
                "Value of field items[2].codes[1] ('b') must be unique: "
                "it repeats items[0].codes[1]"
            ),
            id="C-06-unique-over-merged-list",
        ),
        pytest.param(
            {"items": [element(1, ["a"]), element(1, None, code="a")]},
            bad("Value of field items[1].code ('a') must be unique: it repeats items[0].codes[0]"),
            id="C-06-code-repeats-codes",
        ),
    ],
)
def test_seed_profile_rejects(body: Any, expected: list[tuple[str, str]]) -> None:
    assert messages(body, SEED) == expected


@pytest.mark.rule("C-03", "C-04", "C-05", "C-06")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"items": [element(codes=None, code="only")]},
            bad("Missing field items[0].codes", "Unrecognized field items[0].code"),
            id="C-03-code-unknown",
        ),
        pytest.param(
            {"items": [element(code=None)]},
            bad("Unrecognized field items[0].code"),
            id="C-03-code-null-unknown",
        ),
        pytest.param(
            {"items": [element(codes=None)]},
            bad("Missing field items[0].codes"),
            id="C-05-codes-required",
        ),
        pytest.param(
            {"items": [element(codes=["ok", "k" * 257])]},
            bad(
                "Value / length of field items[0].codes[1] (257) must be less than or equal to 256"
            ),
            id="C-04-key-257",
        ),
        pytest.param(
            {"items": [element(1, ["a"]), element(2, ["b"]), element(1, ["c"])]},
            bad("Value of field items[2].id (1) repeats items[0].id: send one element per item id"),
            id="C-06-repeated-id",
        ),
    ],
)
def test_2026_profile_rejects(body: Any, expected: list[tuple[str, str]]) -> None:
    assert messages(body, P2026) == expected


@pytest.mark.rule("C-04")
def test_2026_accepts_256_character_keys_without_warnings() -> None:
    key = "k" * limits.DIGITAL_CODE_MAX_LENGTH_2026
    result = parse({"items": [element(codes=[key])]}, P2026)
    assert result.keys_by_item() == {1: (key,)}
    assert result.warnings == ()


@pytest.mark.rule("R-004")
def test_unknown_fields_are_ignored_in_the_seed_profile() -> None:
    result = parse({"items": [element(extra="x")], "other": 1})
    assert result.keys_by_item() == {1: ("code1",)}


@pytest.mark.rule("OQ-01")
@pytest.mark.parametrize(
    ("other", "same"),
    [
        pytest.param({"items": [element(1, ["code1"])]}, True, id="identical"),
        pytest.param({"items": [element(1, ["code2"])]}, False, id="other-key"),
        pytest.param({"items": [element(1, ["code1"], slip="other")]}, False, id="other-slip"),
        pytest.param(
            {"items": [element(1, ["code1"], activate_till="2030-01-01")]}, False, id="other-date"
        ),
    ],
)
def test_digest_tells_identical_payloads(other: Any, same: bool) -> None:
    first = parse({"items": [element(1, ["code1"])]})
    assert (first.digest() == parse(other).digest()) is same
