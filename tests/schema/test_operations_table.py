"""The operation table agrees with the reference spec: paths, methods, scopes and limits."""

from __future__ import annotations

import pytest

from dbskit.contract import limits
from dbskit.contract.operations import OPERATIONS, OPERATIONS_BY_ID, Operation, Profile
from tests.reference import spec_operations


@pytest.mark.rule("R-001", "R-015", "R-023", "R-104", "R-118", "R-119", "R-120", "R-121")
def test_same_operations_as_the_spec() -> None:
    assert set(spec_operations()) == set(OPERATIONS_BY_ID)


@pytest.mark.rule("R-001", "R-015", "R-023", "R-104", "R-118", "R-119", "R-120", "R-121")
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
def test_method_and_path(operation: Operation) -> None:
    method, path, _ = spec_operations()[operation.operation_id]
    assert operation.method == method
    assert operation.documented_path == path


@pytest.mark.rule("R-002", "R-016", "R-024", "R-077")
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
def test_scopes(operation: Operation) -> None:
    _, _, spec = spec_operations()[operation.operation_id]
    assert {scope.value for scope in operation.scopes} == set(spec["x-auth-scopes"])


@pytest.mark.rule("R-083", "C-01", "C-02")
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
def test_2026_profile_limits(operation: Operation) -> None:
    _, _, spec = spec_operations()[operation.operation_id]
    config = spec.get("x-resource-limit-config")
    limit = operation.limit(Profile.SPEC_2026)
    if config is None:  # getDeliveryServices: the docs' figure in both profiles (R-118)
        assert limit.per_hour == limits.DELIVERY_SERVICES_HOURLY_LIMIT
    else:
        for tier in ("none", "medium"):
            assert config[tier]["period"] == "hours" and config[tier]["period-duration"] == 1
            assert limit.per_hour == config[tier]["amount"]
    expected_parallel = (config or {}).get(
        "parallel-limit-value", limits.PARALLEL_REQUESTS_PER_TOKEN
    )
    assert limit.parallel == expected_parallel


# Methods only the 2026 spec has: its figures under both profiles.
SPEC_ONLY = {"getBusinessOrders", "acceptOrderCancellation"}


@pytest.mark.rule("R-083", "R-086")
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
def test_seed_profile_limits(operation: Operation) -> None:
    limit = operation.limit(Profile.SEED)
    if operation.operation_id in SPEC_ONLY:
        assert limit == operation.limit(Profile.SPEC_2026)
        return
    assert limit.parallel == limits.PARALLEL_REQUESTS_PER_TOKEN
    if operation.operation_id == "getDeliveryServices":
        assert limit.per_hour == limits.DELIVERY_SERVICES_HOURLY_LIMIT
    else:
        assert limit.per_hour == limits.SEED_HOURLY_LIMIT
