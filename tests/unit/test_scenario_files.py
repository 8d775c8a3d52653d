"""Reading scenario files: every format to the same JSON document, names checked before writing."""

from __future__ import annotations

import json

import pytest

from dbskit.contract.errors import ApiError
from dbskit.contract.sandbox_scenarios import EntryKind
from dbskit.market.domain.scenario_files import ScenarioFormat, read_scenario, to_json_document

ORDER = (
    "{campaignId: 5, items: [{offerId: a, count: 1, price: 1}], delivery: {type: POST},"
    " buyer: {calls: [{startedAt: 2030-01-01T10:00:00+03:00, durationSeconds: 5}]}}"
)


def messages(body: bytes, fmt: ScenarioFormat = ScenarioFormat.YAML) -> list[str]:
    with pytest.raises(ApiError) as caught:
        read_scenario(body, fmt)
    assert caught.value.status == 400
    return [error.message for error in caught.value.errors]


def test_yaml_timestamps_stay_text() -> None:
    text = b"a: 2030-01-01T10:00:00+03:00\nb: 2030-01-01\n"
    document = json.loads(to_json_document(text, ScenarioFormat.YAML))
    assert document == {"a": "2030-01-01T10:00:00+03:00", "b": "2030-01-01"}


def test_toml_dates_become_iso_text() -> None:
    document = json.loads(
        to_json_document(b"a = 2030-01-01T10:00:00+03:00\nb = 2030-01-01\n", ScenarioFormat.TOML)
    )
    assert document == {"a": "2030-01-01T10:00:00+03:00", "b": "2030-01-01"}


def test_the_same_scenario_in_every_format() -> None:
    yaml_text = f"entries:\n  - {{name: o, order: {ORDER}}}\n".encode()
    from_yaml = read_scenario(yaml_text, ScenarioFormat.YAML)
    order = {
        "campaignId": 5,
        "items": [{"offerId": "a", "count": 1, "price": 1}],
        "delivery": {"type": "POST"},
        "buyer": {"calls": [{"startedAt": "2030-01-01T10:00:00+03:00", "durationSeconds": 5}]},
    }
    as_json = json.dumps({"entries": [{"name": "o", "order": order}]})
    assert read_scenario(as_json.encode(), ScenarioFormat.JSON) == from_yaml
    as_toml = (
        '[[entries]]\nname = "o"\n[entries.order]\ncampaignId = 5\n'
        'items = [{offerId = "a", count = 1, price = 1}]\ndelivery = {type = "POST"}\n'
        "buyer = {calls = [{startedAt = 2030-01-01T10:00:00+03:00, durationSeconds = 5}]}\n"
    )
    assert read_scenario(as_toml.encode(), ScenarioFormat.TOML) == from_yaml
    (entry,) = from_yaml.entries
    assert entry.kind is EntryKind.ORDER
    assert from_yaml.notify is False


@pytest.mark.parametrize(
    ("body", "fmt", "expected"),
    [
        pytest.param(b"  \n", ScenarioFormat.YAML, "Unexpected end of content", id="empty"),
        pytest.param(
            b"a: \xff",
            ScenarioFormat.YAML,
            "Unexpected character '0xFF': expected a valid value 'UTF-8'",
            id="utf8",
        ),
        pytest.param(
            b"a: .nan",
            ScenarioFormat.YAML,
            "YAML: a value with no JSON equivalent "
            "(Out of range float values are not JSON compliant)",
            id="nan",
        ),
        pytest.param(
            b"a: !!binary AAAA",
            ScenarioFormat.YAML,
            "YAML: a value with no JSON equivalent (Object of type bytes is not JSON serializable)",
            id="binary",
        ),
        pytest.param(
            b"[" * 5000, ScenarioFormat.YAML, "YAML: the document is nested too deeply", id="deep"
        ),
        pytest.param(
            b"a = ", ScenarioFormat.TOML, "TOML: Invalid value (at end of document)", id="toml"
        ),
        pytest.param(
            b"[1]", ScenarioFormat.JSON, "Value of field body must be an object", id="not-an-object"
        ),
    ],
)
def test_unreadable_files(body: bytes, fmt: ScenarioFormat, expected: str) -> None:
    assert messages(body, fmt) == [expected]


def test_every_name_problem_at_once() -> None:
    text = (
        "entries:\n"
        "  - {name: a, business: {}}\n"
        "  - {name: a, business: {}}\n"
        "  - {name: c, campaign: {business: nobody}}\n"
        "  - {name: k, key: {business: c, scopes: [pricing]}}\n"
    )
    assert messages(text.encode()) == [
        "Entry entries[1] (a): Value of field name (a) is already the name of entries[0]",
        "Entry entries[2] (c): Value of field campaign.business (nobody) names no earlier entry",
        "Entry entries[3] (k): Value of field key.business (c) names a campaign entry, "
        "not a business",
    ]


def test_an_id_and_a_name_together_are_refused() -> None:
    text = b"entries:\n  - {name: c, campaign: {business: b, businessId: 1}}\n"
    assert messages(text) == [
        "Entry entries[0] (c): Only one of fields business and businessId may be given"
    ]
