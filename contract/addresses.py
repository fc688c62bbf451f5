"""Which network addresses newsmon may fetch from: the pure half of the SSRF guard.

A feed, page or webhook URL is attacker-controlled text. Fetching it must not reach the
loopback interface, the LAN or a cloud metadata service, whatever its host resolves to. The
HTTP client (``newsmon.http_client``) resolves the host, asks :class:`AddressPolicy` about every
address it would connect to and connects only to an address that passed.

Ranges are listed explicitly instead of trusting ``ipaddress``'s ``is_global``/``is_private``,
which in Python 3.11 call e.g. ``2002:7f00:1::`` (6to4 of 127.0.0.1), ``64:ff9b::7f00:1``
(NAT64) and ``::7f00:1`` (IPv4-compatible) global. ``is_global`` is only a last safety net.
"""

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from contract.errors import BlockedAddress, ConfigError

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

_CLOUD_METADATA = "cloud metadata"

# First match wins: the metadata endpoints come before the ranges that contain them.
_V4_RANGES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(cidr), kind)
    for cidr, kind in (
        ("169.254.169.254/32", _CLOUD_METADATA),  # AWS, GCP, Azure, OpenStack, DigitalOcean
        ("169.254.170.2/32", _CLOUD_METADATA),  # AWS ECS task metadata
        ("169.254.170.23/32", _CLOUD_METADATA),  # AWS EKS pod identity
        ("100.100.100.200/32", _CLOUD_METADATA),  # Alibaba Cloud
        ("192.0.0.192/32", _CLOUD_METADATA),  # Oracle Cloud
        ("168.63.129.16/32", _CLOUD_METADATA),  # Azure WireServer (a public address)
        ("0.0.0.0/32", "unspecified"),
        ("0.0.0.0/8", "reserved"),  # "this network"
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),  # deprecated 6to4 relay anycast
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)

_V6_RANGES: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(cidr), kind)
    for cidr, kind in (
        ("fd00:ec2::254/128", _CLOUD_METADATA),  # AWS IMDS over IPv6
        ("fd00:ec2::23/128", _CLOUD_METADATA),  # AWS EKS pod identity over IPv6
        ("fd20:ce::254/128", _CLOUD_METADATA),  # GCP metadata over IPv6
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("fc00::/7", "private"),  # unique local
        ("fe80::/10", "link-local"),
        ("fec0::/10", "private"),  # deprecated site-local
        ("ff00::/8", "multicast"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("2001::/23", "reserved"),  # IETF protocol assignments, Teredo included
    )
)

_GLOBAL_UNICAST_V6 = IPv6Network("2000::/3")
_NAT64 = IPv6Network("64:ff9b::/96")
_V4_COMPATIBLE = IPv6Network("::/96")
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*")


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address a packet to ``address`` really goes to (mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_kind(address: Address) -> str | None:
    """Why ``address`` must not be fetched ("loopback", "private", ...), or None if public."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return blocked_kind(embedded)
        if address in _V4_COMPATIBLE and int(address) > 1:  # deprecated ::a.b.c.d
            return blocked_kind(IPv4Address(int(address))) or "reserved"
        for network6, kind in _V6_RANGES:
            if address in network6:
                return kind
        if address not in _GLOBAL_UNICAST_V6:
            return "reserved"  # not allocated for global unicast
    else:
        for network4, kind in _V4_RANGES:
            if address in network4:
                return kind
    return None if address.is_global else "reserved"


def _normal_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class AllowEntry:
    """One ``fetch_allow`` entry: a host name or a network, on any port or on one port."""

    name: str | None = None
    network: Network | None = None
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> "AllowEntry":
        """Read ``NAME``, ``NAME:PORT``, ``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or ``CIDR``.

        Raises:
            ValueError: the entry is none of those.
        """
        text = entry.strip()
        host, port = text, None
        bracketed = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", text)
        if bracketed:
            host, port_text = bracketed.group(1), bracketed.group(2)
            port = None if port_text is None else int(port_text)
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            if not port_text.isdigit():
                raise ValueError("the port must be a number")
            port = int(port_text)
        if port is not None and not 1 <= port <= 65535:
            raise ValueError("the port must be between 1 and 65535")
        try:
            return cls(network=ipaddress.ip_network(host), port=port)
        except ValueError as exc:
            if "/" in host or bracketed or ":" in host:
                raise ValueError(str(exc)) from None
        name = _normal_host(host)
        if len(name) > 253 or not _HOST_NAME.fullmatch(name):
            raise ValueError("expected NAME, NAME:PORT, IP, IP:PORT, [IPv6]:PORT or a CIDR")
        return cls(name=name, port=port)

    def allows(self, host: str, port: int, address: Address) -> bool:
        """Whether this entry lets ``host`` (resolved to ``address``) be fetched on ``port``."""
        if self.port is not None and port != self.port:
            return False
        if self.name is not None:
            return _normal_host(host) == self.name
        assert self.network is not None
        if address in self.network:
            return True
        mapped = address.ipv4_mapped if isinstance(address, IPv6Address) else None
        return mapped is not None and mapped in self.network


@dataclass(frozen=True)
class AddressPolicy:
    """Refuses non-public addresses unless private networks are allowed or an entry allows it.

    Attributes:
        allow_private: fetch from any address (a trusted, internal deployment).
        allow: explicit exceptions (``fetch_allow``): a host allowed by name is allowed whatever
            it resolves to; an IP or CIDR entry allows those addresses.
    """

    allow_private: bool = False
    allow: tuple[AllowEntry, ...] = ()

    @classmethod
    def from_settings(cls, allow_private: bool, allow: Iterable[str]) -> "AddressPolicy":
        """Build the policy from ``allow_private_networks`` and ``fetch_allow``.

        Raises:
            ConfigError: an allow entry is malformed; the message names it.
        """
        entries = []
        for entry in allow:
            try:
                entries.append(AllowEntry.parse(entry))
            except ValueError as exc:
                raise ConfigError(f"fetch_allow entry {entry!r} is invalid: {exc}") from None
        return cls(allow_private=allow_private, allow=tuple(entries))

    def refusal(self, host: str, port: int, address: Address) -> str | None:
        """None if ``host`` may be fetched at ``address``:``port``, else the address kind."""
        if self.allow_private:
            return None
        kind = blocked_kind(address)
        if kind is None or any(entry.allows(host, port, address) for entry in self.allow):
            return None
        return kind

    def check(self, host: str, port: int, address: Address) -> None:
        """Raise unless ``host`` may be fetched at ``address``:``port``.

        Raises:
            BlockedAddress: the address is not public and nothing allows it.
        """
        kind = self.refusal(host, port, address)
        if kind is not None:
            raise BlockedAddress(host, str(address), kind)
