"""Client addresses behind proxies, and the per-server network allow-list.

X-Forwarded-For is only believed when the peer is a configured trusted proxy; the client is
then the right-most address that is not a trusted proxy (every proxy appends the address it
received the request from, so everything left of the first untrusted hop may be forged).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_MAX_LENGTH = 64  # the width of the client_ip columns


def parse_address(text: str) -> IPAddress | None:
    """An address from `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:443`; IPv4-mapped IPv6 as IPv4."""
    value = text.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4 with a port; IPv6 has several colons
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]  # zone index (fe80::1%eth0)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(entries: Iterable[str]) -> list[IPNetwork]:
    """Networks from addresses or CIDRs; unreadable entries are skipped (they match nothing)."""
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return networks


def _within(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(
    remote_addr: str, forwarded_for: str | None, trusted_proxies: Sequence[str]
) -> str:
    """The address a request really comes from.

    `remote_addr` is the TCP peer. When it is a trusted proxy, X-Forwarded-For is read from
    right to left, skipping trusted proxies; the first other entry is the client. An entry
    that is not an address is returned as it is (cut to 64 characters): it then matches no
    allow-list, which is the safe outcome.
    """
    peer = parse_address(remote_addr)
    shown_peer = str(peer) if peer is not None else remote_addr.strip()[:_MAX_LENGTH]
    proxies = parse_networks(trusted_proxies)
    if peer is None or not forwarded_for or not _within(peer, proxies):
        return shown_peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    client = shown_peer
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            return hop[:_MAX_LENGTH]
        client = str(address)
        if not _within(address, proxies):
            return client
    return client  # every hop is a trusted proxy: the left-most one is the best we know


def is_allowed(address: str, allowed_networks: Sequence[str]) -> bool:
    """True when no allow-list is set, or the address is inside one of its networks."""
    if not allowed_networks:
        return True
    parsed = parse_address(address)
    return parsed is not None and _within(parsed, parse_networks(allowed_networks))


def validate_cidr(text: str) -> str:
    """The canonical form of a network (`10.0.0.0/8`; an address becomes a /32 or /128).

    ValueError with a readable message when the text is not a network, or when it has host
    bits set (`10.1.2.3/8` is more likely a typo than a wish to allow all of 10.0.0.0/8).
    """
    value = text.strip()
    if not value:
        raise ValueError("an empty network is not allowed; give an address or a CIDR")
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IP address or network (expected e.g. 203.0.113.0/24, "
            "198.51.100.7 or 2001:db8::/32)"
        ) from None
    raise ValueError(f"{value!r} has host bits set; did you mean {loose}?")
