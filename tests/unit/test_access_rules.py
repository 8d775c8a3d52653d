"""Pure access decisions: reading credentials, issuing tokens, matching operations, the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dbskit.contract import limits
from dbskit.contract.errors import ApiError, Forbidden, Unauthorized
from dbskit.contract.operations import OPERATIONS, Operation, Scope, operation
from dbskit.market.domain import access, tokens
from dbskit.market.domain.access import CampaignAccess, Credential, CredentialKind, Grant
from dbskit.market.domain.operation_routes import match_operation
from dbskit.market.services.access_cache import _TtlCache

KEY = "ACMA:I4c4CxCSYaI41RSC2uYWP2qj3Rhhm4knMiBEga5K:151c0664"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("api_key", "authorization", "expected"),
    [
        pytest.param(KEY, None, Credential(CredentialKind.API_KEY, KEY), id="api-key"),
        pytest.param(KEY, "Basic x", Credential(CredentialKind.API_KEY, KEY), id="api-key-wins"),
        pytest.param(None, "Bearer y0_a", Credential(CredentialKind.OAUTH, "y0_a"), id="bearer"),
        pytest.param(None, "bearer y0_a ", Credential(CredentialKind.OAUTH, "y0_a"), id="case"),
        pytest.param("", "Bearer y0_a", Credential(CredentialKind.OAUTH, "y0_a"), id="empty-key"),
    ],
)
def test_read_credential(
    api_key: str | None, authorization: str | None, expected: Credential
) -> None:
    assert access.read_credential(api_key, authorization) == expected


@pytest.mark.parametrize(
    ("api_key", "authorization", "error", "message"),
    [
        (None, None, Unauthorized, "Credentials are not specified"),
        ("Bearer " + KEY, None, Unauthorized, "Api-Key token prefix invalid"),
        (KEY[:-1], None, Unauthorized, "Api-Key token length invalid"),
        (KEY[:-1] + "Z", None, Unauthorized, "Api-Key token format invalid"),
        (None, "   ", Unauthorized, "OAuth credentials are not specified"),
        (None, "Bearer", Unauthorized, "OAuth token is not specified"),
        (None, "token", Unauthorized, "Authorization header has invalid syntax"),
        (None, "Bearer  y0_a", Unauthorized, "Authorization header has invalid syntax"),
        (None, "Bearer \ty0_a", Unauthorized, "Authorization header has invalid syntax"),
        (
            None,
            "Digest a=b",
            Unauthorized,
            "Unsupported authorization type specified in Authorization header",
        ),
    ],
)
def test_read_credential_failures(
    api_key: str | None, authorization: str | None, error: type[ApiError], message: str
) -> None:
    with pytest.raises(error) as raised:
        access.read_credential(api_key, authorization)
    assert [e.message for e in raised.value.errors] == [message]


def _grant(kind: CredentialKind = CredentialKind.API_KEY, **changes: object) -> Grant:
    values: dict[str, object] = {
        "token_id": 1,
        "business_id": 10,
        "kind": kind,
        "scopes": frozenset({Scope.PRICING}),
        "key_hash": "h",
        "expires_at": None,
        "revoked_at": None,
    }
    values.update(changes)
    return Grant(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("credential", "grant", "error", "message"),
    [
        (CredentialKind.API_KEY, None, Unauthorized, "Api-Key token is invalid"),
        (
            CredentialKind.API_KEY,
            _grant(CredentialKind.OAUTH),
            Unauthorized,
            "Api-Key token is invalid",
        ),
        (CredentialKind.API_KEY, _grant(revoked_at=NOW), Unauthorized, "Api-Key token is revoked"),
        (CredentialKind.OAUTH, None, Forbidden, "OAuth token is invalid"),
        (CredentialKind.OAUTH, _grant(), Forbidden, "OAuth token is invalid"),
        (
            CredentialKind.OAUTH,
            _grant(CredentialKind.OAUTH, revoked_at=NOW),
            Forbidden,
            "OAuth token is invalid",
        ),
        (
            CredentialKind.OAUTH,
            _grant(CredentialKind.OAUTH, expires_at=NOW),
            Forbidden,
            "OAuth token is invalid",
        ),
    ],
)
def test_check_grant_failures(
    credential: CredentialKind, grant: Grant | None, error: type[ApiError], message: str
) -> None:
    with pytest.raises(error) as raised:
        access.check_grant(Credential(credential, "s"), grant, NOW)
    assert [e.message for e in raised.value.errors] == [message]


def test_check_grant_accepts_live_tokens() -> None:
    live_oauth = _grant(CredentialKind.OAUTH, expires_at=NOW + timedelta(seconds=1))
    assert access.check_grant(Credential(CredentialKind.OAUTH, "s"), live_oauth, NOW) is live_oauth
    key = _grant()
    assert access.check_grant(Credential(CredentialKind.API_KEY, "s"), key, NOW) is key


def test_scopes_and_campaign_checks() -> None:
    delivery = operation("getDeliveryServices")
    track = operation("setOrderDeliveryTrackCode")
    access.check_scopes(_grant(), delivery)
    with pytest.raises(Forbidden):
        access.check_scopes(_grant(), track)
    access.check_scopes(_grant(CredentialKind.OAUTH, scopes=frozenset()), track)
    access.check_campaign(_grant(), 5, CampaignAccess(10, active=True))
    with pytest.raises(Forbidden, match=r"^Access denied$"):
        access.check_campaign(_grant(), 5, CampaignAccess(11, active=True))
    with pytest.raises(ApiError) as raised:
        access.check_campaign(_grant(), 5, None)
    assert raised.value.status == 404


@pytest.mark.rule("R-079")
def test_inactive_campaigns_and_cabinets_are_closed() -> None:
    with pytest.raises(
        Forbidden, match=r"^Access denied for campaign '5' because it is not active$"
    ):
        access.check_campaign(_grant(), 5, CampaignAccess(10, active=False))
    access.check_business(_grant(), active=True)
    with pytest.raises(Forbidden, match=r"^Restrict access for business '10' because it is not"):
        access.check_business(_grant(), active=False)


def test_issued_tokens_have_the_documented_shapes() -> None:
    keys = {tokens.new_api_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(limits.API_KEY_PATTERN.fullmatch(key) for key in keys)
    oauth = tokens.new_oauth_token()
    assert oauth.startswith(limits.OAUTH_TOKEN_PREFIX) and len(oauth) == limits.OAUTH_TOKEN_LENGTH
    assert tokens.fingerprint(KEY) == tokens.fingerprint(KEY) != tokens.fingerprint(KEY[:-1] + "0")
    assert len(tokens.fingerprint(KEY)) == 64


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
def test_every_operation_is_matched_with_its_parameters(op: Operation) -> None:
    path = (
        op.path.replace("{campaignId}", "21000001")
        .replace("{orderId}", "77")
        .replace("{businessId}", "10000001")
    )
    matched = match_operation(op.method, path)
    assert matched is not None and matched.operation is op
    expected = {"campaignId": "21000001", "orderId": "77", "businessId": "10000001"}
    assert matched.path_params == {k: v for k, v in expected.items() if "{" + k + "}" in op.path}


def test_head_is_judged_like_get() -> None:
    matched = match_operation("HEAD", "/delivery/services")
    assert matched is not None and matched.operation.operation_id == "getDeliveryServices"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/delivery/services"),
        ("GET", "/delivery/services/"),
        ("GET", "/campaigns/1/orders/2/extra"),
        ("GET", "/campaigns//orders"),
        ("GET", "/sandbox/clock"),
    ],
)
def test_other_requests_name_no_operation(method: str, path: str) -> None:
    assert match_operation(method, path) is None


def test_the_cache_forgets_entries_after_their_time() -> None:
    moment = [0.0]
    cache: _TtlCache[str, int] = _TtlCache(5.0, now=lambda: moment[0])
    cache.put("a", 1)
    moment[0] = 4.9
    assert cache.get("a") == 1
    moment[0] = 5.0
    assert cache.get("a") is None
    cache.put("b", 2)
    cache.discard("b")
    assert cache.get("b") is None
    disabled: _TtlCache[str, int] = _TtlCache(0.0, now=lambda: moment[0])
    disabled.put("a", 1)
    assert disabled.get("a") is None
