"""The address policy: every non-public form is refused by default, allow entries open holes.

Pure functions only: no traffic is sent anywhere, least of all to the public addresses.
"""

import re
from ipaddress import ip_address, ip_network

import pytest

from contract import AddressPolicy, AllowEntry, BlockedAddress, ConfigError, blocked_kind

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.1.2.3", "loopback"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:7f00:1", "loopback"),
    ("::7f00:1", "loopback"),  # IPv4-compatible
    ("2002:7f00:1::", "loopback"),  # 6to4
    ("64:ff9b::7f00:1", "loopback"),  # NAT64
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("::ffff:10.0.0.1", "private"),
    ("64:ff9b::a00:1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "private"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.170.2", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("192.0.0.192", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("2002:a9fe:a9fe::", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("198.18.0.1", "benchmarking"),
    ("192.0.2.1", "documentation"),
    ("203.0.113.7", "documentation"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("240.0.0.1", "reserved"),
    ("0.1.2.3", "reserved"),
    ("192.0.0.9", "reserved"),
    ("100::1", "reserved"),  # discard-only
    ("64:ff9b:1::1", "reserved"),  # local-use NAT64
    ("2001::1", "reserved"),  # Teredo
    ("5f00::1", "reserved"),  # SRv6, outside 2000::/3
    ("::8.8.8.8", "reserved"),  # IPv4-compatible of a public address: deprecated
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "2002:808:808::",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize(("text", "kind"), REFUSED)
def test_non_public_addresses_are_refused_by_default(text: str, kind: str) -> None:
    address = ip_address(text)
    assert blocked_kind(address) == kind
    assert AddressPolicy().refusal(text, 80, address) == kind
    assert AddressPolicy(allow_private=True).refusal(text, 80, address) is None


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_not_refused(text: str) -> None:
    address = ip_address(text)
    assert blocked_kind(address) is None
    assert AddressPolicy().refusal("example.com", 443, address) is None


def test_message_for_a_literal_address_and_for_a_name() -> None:
    policy = AddressPolicy()
    with pytest.raises(BlockedAddress) as literal:
        policy.check("127.0.0.1", 80, ip_address("127.0.0.1"))
    assert str(literal.value) == (
        "127.0.0.1 is a loopback address (private networks are not fetched)"
    )
    with pytest.raises(BlockedAddress) as named:
        policy.check("localhost", 80, ip_address("::1"))
    assert str(named.value) == (
        "localhost resolves to ::1, a loopback address (private networks are not fetched)"
    )
    assert (named.value.host, named.value.address, named.value.kind) == (
        "localhost",
        "::1",
        "loopback",
    )


def test_message_article_and_bracketed_literal() -> None:
    with pytest.raises(BlockedAddress, match=r"^0\.0\.0\.0 is an unspecified address "):
        AddressPolicy().check("0.0.0.0", 80, ip_address("0.0.0.0"))
    with pytest.raises(BlockedAddress, match=r"^::1 is a loopback address "):
        AddressPolicy().check("[::1]", 80, ip_address("::1"))


@pytest.mark.parametrize(
    ("entry", "parsed"),
    [
        ("feeds.internal", AllowEntry(name="feeds.internal")),
        ("Feeds.Internal.", AllowEntry(name="feeds.internal")),
        ("feeds.internal:8080", AllowEntry(name="feeds.internal", port=8080)),
        ("10.0.0.5", AllowEntry(network=ip_network("10.0.0.5/32"))),
        ("10.0.0.5:8080", AllowEntry(network=ip_network("10.0.0.5/32"), port=8080)),
        ("10.0.0.0/8", AllowEntry(network=ip_network("10.0.0.0/8"))),
        ("::1", AllowEntry(network=ip_network("::1/128"))),
        ("[::1]:8080", AllowEntry(network=ip_network("::1/128"), port=8080)),
        ("fd00::/8", AllowEntry(network=ip_network("fd00::/8"))),
    ],
)
def test_allow_entries_parse(entry: str, parsed: AllowEntry) -> None:
    assert AddressPolicy.from_settings(False, [entry]).allow == (parsed,)


@pytest.mark.parametrize(
    "entry",
    ["", "10.0.0.1/8", "10.0.0.0/33", "host:http", "host:0", "[::1]:70000", "[name]:80",
     "http://feeds.internal", "feeds internal", "a/b", "::1:"],
)  # fmt: skip
def test_bad_allow_entry_is_a_config_error_naming_it(entry: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"fetch_allow entry {entry!r} is invalid: ")):
        AddressPolicy.from_settings(False, ["feeds.internal", entry])


def test_ip_entry_allows_that_address_on_its_port_only() -> None:
    policy = AddressPolicy.from_settings(False, ["127.0.0.1:8080", "10.0.0.0/8"])
    loopback = ip_address("127.0.0.1")
    assert policy.refusal("127.0.0.1", 8080, loopback) is None
    assert policy.refusal("localhost", 8080, loopback) is None
    assert policy.refusal("127.0.0.1", 8081, loopback) == "loopback"
    assert policy.refusal("::ffff:127.0.0.1", 8080, ip_address("::ffff:127.0.0.1")) is None
    assert policy.refusal("db", 5432, ip_address("10.9.8.7")) is None
    assert policy.refusal("db", 5432, ip_address("172.16.0.1")) == "private"


def test_name_entry_allows_the_name_whatever_it_resolves_to() -> None:
    policy = AddressPolicy.from_settings(False, ["feeds.internal", "hooks.internal:443"])
    metadata = ip_address("169.254.169.254")
    assert policy.refusal("feeds.internal", 80, ip_address("10.0.0.5")) is None
    assert policy.refusal("FEEDS.internal.", 80, metadata) is None
    assert policy.refusal("other.internal", 80, ip_address("10.0.0.5")) == "private"
    assert policy.refusal("hooks.internal", 443, ip_address("10.0.0.6")) is None
    assert policy.refusal("hooks.internal", 80, ip_address("10.0.0.6")) == "private"
    assert policy.refusal("10.0.0.5", 80, ip_address("10.0.0.5")) == "private"
