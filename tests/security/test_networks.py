"""Client addresses behind proxies and the allow-list."""

from __future__ import annotations

import pytest

from glpi_scim.security.networks import client_address, is_allowed, validate_cidr

PROXIES = ["10.0.0.0/8", "192.168.1.1"]


def test_direct_peer_is_the_client_and_its_forwarded_header_is_ignored() -> None:
    # A spoofed X-Forwarded-For from an untrusted peer changes nothing.
    assert client_address("203.0.113.9", "198.51.100.1", PROXIES) == "203.0.113.9"
    assert client_address("203.0.113.9", None, PROXIES) == "203.0.113.9"


def test_trusted_proxy_forwards_the_right_most_untrusted_address() -> None:
    # The client forged "1.1.1.1" in front of its real address, which the proxy appended.
    assert client_address("10.0.0.5", "1.1.1.1, 203.0.113.9", PROXIES) == "203.0.113.9"
    # Two trusted proxies in a row are skipped.
    assert client_address("10.0.0.5", "1.1.1.1, 203.0.113.9, 192.168.1.1", PROXIES) == "203.0.113.9"


def test_only_trusted_hops_give_the_left_most_one() -> None:
    assert client_address("10.0.0.5", "10.1.1.1, 10.2.2.2", PROXIES) == "10.1.1.1"


def test_garbage_in_forwarded_for_matches_no_allow_list() -> None:
    shown = client_address("10.0.0.5", "not-an-ip", PROXIES)
    assert shown == "not-an-ip"
    assert not is_allowed(shown, ["0.0.0.0/0"])


def test_ports_brackets_and_ipv4_mapped_addresses_are_normalised() -> None:
    assert client_address("::ffff:203.0.113.9", None, []) == "203.0.113.9"
    assert client_address("10.0.0.5", "[2001:db8::1]:443", PROXIES) == "2001:db8::1"
    assert client_address("10.0.0.5", "203.0.113.9:5555", PROXIES) == "203.0.113.9"


def test_allow_list() -> None:
    assert is_allowed("203.0.113.9", [])  # no list: anywhere
    assert is_allowed("203.0.113.9", ["203.0.113.0/24"])
    assert not is_allowed("203.0.114.9", ["203.0.113.0/24"])
    assert is_allowed("2001:db8::5", ["203.0.113.0/24", "2001:db8::/32"])
    assert not is_allowed("203.0.113.9", ["2001:db8::/32"])
    assert not is_allowed("203.0.113.9", ["garbage"])  # an unreadable list matches nothing


def test_validate_cidr() -> None:
    assert validate_cidr(" 203.0.113.0/24 ") == "203.0.113.0/24"
    assert validate_cidr("198.51.100.7") == "198.51.100.7/32"
    assert validate_cidr("2001:db8::/32") == "2001:db8::/32"
    with pytest.raises(ValueError, match=r"did you mean 10\.0\.0\.0/8"):
        validate_cidr("10.1.2.3/8")
    with pytest.raises(ValueError, match="not an IP address or network"):
        validate_cidr("intranet")
    with pytest.raises(ValueError, match="empty"):
        validate_cidr("  ")
