"""Warnings that come from how a call was made rather than from its body."""

from __future__ import annotations

from dbskit.contract.call_warnings import OAUTH_DEPRECATED, CallWarning, WarningCode
from dbskit.market.domain.access import CredentialKind

_OAUTH = (CallWarning(WarningCode.DEPRECATED_AUTHORIZATION, OAUTH_DEPRECATED),)


def credential_warnings(kind: CredentialKind) -> tuple[CallWarning, ...]:
    """R-074: OAuth still works but is deprecated; a call that used it is accepted and noted."""
    return _OAUTH if kind is CredentialKind.OAUTH else ()
