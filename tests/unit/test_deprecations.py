"""Deprecated methods: the stage on a day, the Nth-call verdict, the counts per token, the marks
and the switch (docs/decisions.md, "Deprecated methods (OQ-29)")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dbskit.cli._options import settings_from
from dbskit.cli.serve import deprecations_summary
from dbskit.contract.deprecations import DeprecationMark
from dbskit.contract.errors import Gone
from dbskit.contract.operations import Deprecation, Profile, operation
from dbskit.market.domain.deprecations import (
    DeprecationGate,
    Stage,
    deprecation_mark,
    deprecations_apply,
    order_call_paths,
    refusal,
    stage_on,
)
from dbskit.settings import Settings

DECISION = "Deprecated methods (OQ-29)"
SPEC = Deprecation(
    degradation_start=date(2027, 1, 18), shutdown=date(2027, 4, 12), replacement="getBusinessOrders"
)
DEGRADED = (
    "Method getOrder is deprecated: since 2027-01-18 some of its calls fail, and from 2027-04-12 "
    "every call will; use getBusinessOrders instead"
)
SHUT_DOWN = "Method getOrder was shut down on 2027-04-12; use getBusinessOrders instead"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.decision(DECISION)
def test_the_table_carries_the_spec_dates() -> None:
    assert operation("getOrder").deprecation == SPEC
    assert operation("getOrders").deprecation == SPEC
    assert operation("getBusinessOrders").deprecation is None


@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("now", "stage"),
    [
        pytest.param(utc(2026, 12, 7, 10, 0), Stage.ANSWERED, id="today"),
        pytest.param(utc(2027, 1, 17, 20, 59, 59), Stage.ANSWERED, id="17-jan-23:59:59-msk"),
        pytest.param(utc(2027, 1, 17, 21, 0, 0), Stage.DEGRADED, id="18-jan-00:00-msk"),
        pytest.param(utc(2027, 1, 18, 12, 0), Stage.DEGRADED, id="18-jan-noon"),
        pytest.param(utc(2027, 4, 11, 20, 59, 59), Stage.DEGRADED, id="11-apr-23:59:59-msk"),
        pytest.param(utc(2027, 4, 11, 21, 0, 0), Stage.SHUT_DOWN, id="12-apr-00:00-msk"),
        pytest.param(utc(2030, 3, 2, 6, 0), Stage.SHUT_DOWN, id="2030"),
    ],
)
def test_the_stage_is_the_day_in_market_time(now: datetime, stage: Stage) -> None:
    assert stage_on(SPEC, now) is stage


@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("stage", "call_number", "fail_every", "message"),
    [
        pytest.param(Stage.ANSWERED, 10, 10, None, id="before-the-date-the-nth-is-answered"),
        pytest.param(Stage.DEGRADED, 1, 10, None, id="degraded-first"),
        pytest.param(Stage.DEGRADED, 9, 10, None, id="degraded-n-minus-1"),
        pytest.param(Stage.DEGRADED, 10, 10, DEGRADED, id="degraded-nth"),
        pytest.param(Stage.DEGRADED, 11, 10, None, id="degraded-n-plus-1"),
        pytest.param(Stage.DEGRADED, 20, 10, DEGRADED, id="degraded-2nth"),
        pytest.param(Stage.DEGRADED, 1, 1, DEGRADED, id="every-call-with-n-1"),
        pytest.param(Stage.SHUT_DOWN, 0, 10, SHUT_DOWN, id="shut-down"),
    ],
)
def test_the_verdict(stage: Stage, call_number: int, fail_every: int, message: str | None) -> None:
    error = refusal("getOrder", SPEC, stage=stage, call_number=call_number, fail_every=fail_every)
    if message is None:
        assert error is None
        return
    assert isinstance(error, Gone)
    assert (error.status, error.body()) == (
        410,
        b'{"status":"ERROR","errors":[{"code":"GONE","message":"' + message.encode() + b'"}]}',
    )


def verdicts(gate: DeprecationGate, token_id: int, now: datetime, calls: int) -> list[int]:
    statuses = []
    for index in range(calls):
        name = "getOrder" if index % 2 else "getOrders"  # the two methods share the count
        try:
            gate.check(operation(name), token_id=token_id, now=now)
        except Gone as error:
            statuses.append(error.status)
        else:
            statuses.append(200)
    return statuses


@pytest.mark.decision(DECISION)
def test_the_gate_counts_each_token_apart_and_only_while_degraded() -> None:
    gate = DeprecationGate(fail_every=3)
    before, degraded, shut = utc(2027, 1, 17, 20), utc(2027, 2, 1), utc(2027, 5, 1)
    assert verdicts(gate, 1, before, 5) == [200] * 5  # not counted
    assert verdicts(gate, 1, degraded, 4) == [200, 200, 410, 200]
    assert verdicts(gate, 2, degraded, 3) == [200, 200, 410]
    assert verdicts(gate, 1, degraded, 2) == [200, 410]
    assert verdicts(gate, 2, shut, 3) == [410, 410, 410]
    gate.check(operation("getBusinessOrders"), token_id=1, now=shut)  # not deprecated


@pytest.mark.decision(DECISION)
def test_the_gate_refuses_a_count_below_one() -> None:
    with pytest.raises(ValueError, match="fail_every must be at least 1"):
        DeprecationGate(fail_every=0)


@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("profile", "switch", "applies"),
    [
        pytest.param(Profile.SEED, None, False, id="seed-default-off"),
        pytest.param(Profile.SPEC_2026, None, True, id="2026-default-on"),
        pytest.param(Profile.SEED, True, True, id="seed-switched-on"),
        pytest.param(Profile.SPEC_2026, False, False, id="2026-switched-off"),
    ],
)
def test_the_switch_defaults_to_the_profile(
    profile: Profile, switch: bool | None, applies: bool
) -> None:
    assert deprecations_apply(profile, switch) is applies


@pytest.mark.decision(DECISION, "Profiles and switches")
def test_the_flags_and_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().deprecations, Settings().deprecation_fail_every) == (None, 10)
    monkeypatch.setenv("DBSKIT_DEPRECATIONS", "false")
    monkeypatch.setenv("DBSKIT_DEPRECATION_FAIL_EVERY", "4")
    from_env = settings_from({})
    assert (from_env.deprecations, from_env.deprecation_fail_every) == (False, 4)
    from_flags = settings_from({"deprecations": True, "deprecation_fail_every": 2})
    assert (from_flags.deprecations, from_flags.deprecation_fail_every) == (True, 2)
    monkeypatch.setenv("DBSKIT_DEPRECATION_FAIL_EVERY", "0")
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        settings_from({})


@pytest.mark.decision(DECISION)
def test_marks_come_from_the_operation_id() -> None:
    mark = DeprecationMark(
        replacement="getBusinessOrders",
        degradation_start=date(2027, 1, 18),
        shutdown=date(2027, 4, 12),
    )
    assert deprecation_mark("getOrder") == mark
    assert deprecation_mark("getOrders") == mark
    assert deprecation_mark("updateOrderStatus") is None
    assert deprecation_mark(None) is None
    assert deprecation_mark("noSuchOperation") is None


@pytest.mark.decision(DECISION)
def test_order_call_paths_are_the_r072_spellings_of_get_order() -> None:
    assert order_call_paths(campaign_id=21, order_id=5) == (
        "/campaigns/21/orders/5",
        "/campaigns/21/orders/5.json",
        "/v2/campaigns/21/orders/5",
        "/v2/campaigns/21/orders/5.json",
    )


@pytest.mark.decision(DECISION)
def test_serve_says_whether_the_methods_retire(tmp_path: Path) -> None:
    spec = Settings(data_dir=tmp_path, profile=Profile.SPEC_2026, deprecation_fail_every=4)
    assert deprecations_summary(spec) == (
        "on (getOrder, getOrders: 1 call in 4 fails from 2027-01-18, every call from 2027-04-12)"
    )
    assert deprecations_summary(Settings(data_dir=tmp_path)) == "off"
    assert deprecations_summary(Settings(data_dir=tmp_path, deprecations=True)).startswith("on (")
