"""Which paths are Partner API paths, and their canonical spelling (R-072)."""

from __future__ import annotations

from dbskit.contract import limits
from dbskit.contract.operations import V1_PREFIX

SANDBOX_ROOT = "/sandbox"
_SANDBOX_PREFIX = SANDBOX_ROOT + "/"
HEALTH_PATH = "/healthz"  # the process's health check (market/health.py), no token
# Paths that belong to dbskit itself, not to the Partner API, keep their exact form.
_OWN_ROOTS = (SANDBOX_ROOT, "/store", HEALTH_PATH)
_OWN_PREFIXES = tuple(root + "/" for root in _OWN_ROOTS)


def canonical_path(path: str) -> str:
    """R-072: ``/v2/x``, ``/x``, ``/v2/x.json`` and ``/x.json`` name the same resource; a v1
    path (getBusinessOrders) is only ``/v1/x`` or ``/v1/x.json``."""
    if is_own_path(path):
        return path
    canonical = path
    if canonical.startswith(limits.API_VERSION_PREFIX + "/"):
        canonical = canonical[len(limits.API_VERSION_PREFIX) :]
        if canonical.startswith(V1_PREFIX + "/"):
            return path  # "/v2/v1/..." names nothing
    if canonical.endswith(limits.FORMAT_SUFFIX):
        canonical = canonical[: -len(limits.FORMAT_SUFFIX)]
    # "/v2/store/cart" is a Partner API path that does not exist, not the store's own path.
    return path if is_own_path(canonical) else canonical


def is_own_path(path: str) -> bool:
    """dbskit's own paths (the sandbox, the mounted store), which are not Partner API calls."""
    return path.startswith(_OWN_PREFIXES) or path in _OWN_ROOTS


def is_sandbox_path(path: str) -> bool:
    """The control plane's paths: ``/sandbox`` and everything below it (Sandbox-Token)."""
    return path.startswith(_SANDBOX_PREFIX) or path == SANDBOX_ROOT
