"""Where the store takes notifications from (R-113: the store should check that calls come from
the Market's addresses).

The source is the connection's peer address, never a header a client could write; behind a
reverse proxy, list the proxy (docs/decisions.md, "Notification sources").
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from dbskit.settings import NOTIFICATIONS_FROM_ANYWHERE

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# R-113, docs:push-notifications.md: the Market's notification senders.
MARKET_NOTIFICATION_NETWORKS = ("5.45.207.0/25", "141.8.142.0/25", "5.255.253.0/25")
# Ours: a store under test on one machine with dbskit serve, or a proxy on the same host.
LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
DEFAULT_NETWORKS = MARKET_NOTIFICATION_NETWORKS + LOOPBACK_NETWORKS


@dataclass(frozen=True, slots=True)
class SourceAllowlist:
    """``networks`` None: every source is taken."""

    networks: tuple[Network, ...] | None

    @classmethod
    def of(cls, networks: Iterable[str]) -> SourceAllowlist:
        return cls(tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in networks))

    @classmethod
    def from_setting(cls, value: str | None) -> SourceAllowlist:
        """The setting ``store_notify_allowlist``: None the default, 'any' no check,
        else comma-separated addresses or networks (checked when the settings load)."""
        if value is None:
            return cls.of(DEFAULT_NETWORKS)
        if value.strip().lower() == NOTIFICATIONS_FROM_ANYWHERE:
            return cls(None)
        return cls.of(part for part in value.split(",") if part.strip())

    def describe(self) -> str:
        if self.networks is None:
            return "any source"
        return ", ".join(str(network) for network in self.networks)

    def allows(self, host: str | None) -> bool:
        if self.networks is None:
            return True
        if host is None:
            return False
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])  # no IPv6 zone
        except ValueError:
            return False  # not an address (a test transport's name): not the Market's
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
        return any(address in network for network in self.networks)
