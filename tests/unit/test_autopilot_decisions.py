"""The autopilot's pure decisions: the next step from the Market's order, the deadline, the
keys' request and the slip (docs/decisions.md, "The autopilot acts on the order")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dbskit.contract import limits
from dbskit.contract.business_orders import BusinessOrderDTO
from dbskit.contract.digital_goods import (
    ProvideOrderDigitalCodesRequest2026,
    request_model,
    submission,
)
from dbskit.contract.operations import Profile
from dbskit.shop.autopilot.decisions import (
    FAR_FUTURE_ACTIVATE_TILL,
    Decision,
    Step,
    decide,
    digital_codes_request,
    is_late,
    keys_due_at,
)
from dbskit.shop.autopilot.slips import SlipTemplateError, SlipTemplates, sanitise_slip

AT = datetime(2030, 3, 2, 6, 0, tzinfo=UTC)


def order(
    status: str = "PROCESSING",
    *,
    delivery: str = "DIGITAL",
    digital: str | None = "EMAIL",
    cancel_requested: bool = False,
    items: tuple[tuple[int, str, int], ...] = ((1, "game-1", 2),),
) -> BusinessOrderDTO:
    document: dict[str, Any] = {
        "orderId": 7,
        "campaignId": 3,
        "programType": "DBS",
        "status": status,
        "substatus": "STARTED" if status == "PROCESSING" else "UNKNOWN",
        "creationDate": AT.isoformat(),
        "updateDate": AT.isoformat(),
        "paymentType": "PREPAID",
        "paymentMethod": "YANDEX",
        "fake": True,
        "items": [
            {"id": item_id, "offerId": offer, "offerName": f"Game {offer}", "count": count}
            for item_id, offer, count in items
        ],
        "prices": {},
        "delivery": {
            "type": delivery,
            "serviceName": "Digital",
            "deliveryServiceId": 1,
            "deliveryPartnerType": "SHOP",
            "dispatchType": "UNKNOWN",
            "dates": {"fromDate": "2030-03-02"},
            "estimated": False,
            **({"digitalGoods": {"type": digital}} if digital else {}),
        },
        "buyerType": "PERSON",
        "cancelRequested": cancel_requested,
        "sourcePlatform": "MARKET",
    }
    return BusinessOrderDTO.model_validate(document)


@pytest.mark.parametrize(
    ("the_order", "keys_sent", "policy", "expected"),
    [
        (order(), False, "seller", Decision(Step.DELIVER_KEYS)),
        (order(digital="ACTIVATION_CODE"), False, "seller", Decision(Step.DELIVER_KEYS)),
        (order(digital=None), False, "seller", Decision(Step.DELIVER_KEYS)),  # EMAIL default
        (order(), True, "seller", Decision(Step.NOTHING)),
        (order("DELIVERED"), True, "seller", Decision(Step.MARK_DELIVERED)),
        (order("DELIVERED"), False, "seller", Decision(Step.MARK_DELIVERED)),
        (order("CANCELLED"), False, "seller", Decision(Step.RELEASE_KEYS)),
        (order("CANCELLED"), True, "seller", Decision(Step.NOTHING)),
        (order("UNPAID"), False, "seller", Decision(Step.NOTHING)),
        (
            order(digital="STEAM_GIFT"),
            False,
            "seller",
            Decision(Step.FOR_SELLER, "STEAM_GIFT order: send the Steam gift yourself"),
        ),
        (
            order(digital="CHAT"),
            False,
            "seller",
            Decision(Step.FOR_SELLER, "CHAT order: send the keys in the chat yourself"),
        ),
        (order(delivery="DELIVERY", digital=None), False, "seller", Decision(Step.NOTHING)),
        (
            order("DELIVERY", delivery="DELIVERY", digital=None, cancel_requested=True),
            False,
            "accept",
            Decision(Step.ACCEPT_CANCELLATION),
        ),
        (
            order("DELIVERY", delivery="DELIVERY", digital=None, cancel_requested=True),
            False,
            "seller",
            Decision(
                Step.FOR_SELLER,
                "the buyer asked to cancel: accept or reject it (acceptOrderCancellation)",
            ),
        ),
    ],
)
def test_the_next_step_follows_the_markets_order(
    the_order: BusinessOrderDTO, keys_sent: bool, policy: Any, expected: Decision
) -> None:
    assert decide(the_order, keys_sent=keys_sent, policy=policy) == expected


def test_the_deadline_is_thirty_minutes_after_processing() -> None:
    due = keys_due_at(AT)
    assert due == AT + limits.DIGITAL_CODES_WINDOW == AT + timedelta(minutes=30)
    assert not is_late(due, due)
    assert is_late(due + timedelta(seconds=1), due)


@dataclass(frozen=True)
class Key:
    key: str
    activate_till: date | None = None
    slip: str | None = None


def test_one_element_per_item_valid_under_both_profiles() -> None:
    the_order = order(items=((1, "game-1", 2), (2, "game-2", 1)))
    keys = {
        1: [Key("A", date(2031, 1, 1)), Key("B", date(2030, 6, 1))],
        2: [Key("C")],
    }
    request = digital_codes_request(the_order, keys, SlipTemplates({"*": "<p>{offer_name}</p>"}))
    body = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert body == {
        "items": [
            {
                "id": 1,
                "codes": ["A", "B"],
                "slip": "<p>Game game-1</p>",
                "activate_till": "2030-06-01",
            },
            {
                "id": 2,
                "codes": ["C"],
                "slip": "<p>Game game-2</p>",
                "activate_till": FAR_FUTURE_ACTIVATE_TILL.isoformat(),
            },
        ]
    }
    for profile in Profile:
        document = request_model(profile).model_validate(body)
        assert submission(document, profile=profile).keys_by_item() == {1: ("A", "B"), 2: ("C",)}
    assert isinstance(
        request_model(Profile.SPEC_2026).model_validate(body), ProvideOrderDigitalCodesRequest2026
    )
    # The same keys make the same body: a resend is identical.
    again = digital_codes_request(the_order, keys, SlipTemplates({"*": "<p>{offer_name}</p>"}))
    assert again == request


@pytest.mark.parametrize(
    ("templates", "keys", "expected"),
    [
        (
            {"game-1": '<h2 onclick="x()">{offer_name}</h2><script>x()</script>{order_id}'},
            [Key("A")],
            "<h2>Game &lt;1&gt;</h2>7",
        ),
        ({}, [Key("A", slip="<p>own</p>"), Key("B", slip="<p>own</p>")], "<p>own</p>"),
        ({}, [Key("A", slip="<p>a</p>"), Key("B", slip="<b>b</b>")], "<p>a</p><br>b"),
        ({}, [Key("A")], "<p>Game &lt;1&gt;: activate the key as the publisher describes.</p>"),
        ({"*": "<li>loose</li><ul><li>{count}</li></ul>"}, [Key("A")], "loose<ul><li>2</li></ul>"),
    ],
)
def test_slips_are_sanitised(templates: dict[str, str], keys: list[Key], expected: str) -> None:
    slip = SlipTemplates(templates).slip_for(
        order_id=7, offer_id="game-1", offer_name="Game <1>", count=2, keys=keys
    )
    assert slip == expected


def test_a_long_slip_is_cut_to_the_limit() -> None:
    slip = sanitise_slip("<p>" + "x&y " * 5_000 + "</p>")
    assert len(slip) <= limits.DIGITAL_SLIP_MAX_LENGTH
    assert slip.startswith("x&amp;y x&amp;y")


def test_templates_with_unknown_placeholders_are_refused() -> None:
    with pytest.raises(SlipTemplateError, match="unknown placeholders buyer"):
        SlipTemplates({"*": "<p>{buyer}</p>"})


def test_templates_load_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "slips.json"
    path.write_text('{"game-1": "<p>{offer_name} #{order_id}</p>"}', encoding="utf-8")
    slip = SlipTemplates.load(path).slip_for(
        order_id=7, offer_id="game-1", offer_name="Game", count=1, keys=[Key("A")]
    )
    assert slip == "<p>Game #7</p>"
    for text, problem in (("[1]", "not a JSON object"), ("{", "slips.json: Expecting")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SlipTemplateError, match=problem):
            SlipTemplates.load(path)
