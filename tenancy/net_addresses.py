"""Which IP addresses a server may be asked to call (a webhook's): decided from the address
itself, by an explicit table of IANA's special-purpose ranges, the same on every Python.

Python's own answers (`is_private`, `is_global`, ...) change from release to release: the
releases before the CVE-2024-4032 fix call 192.0.0.8 and fec0::1 public, and none of them looks
inside a 6to4 address, so 2002:7f00:1::1 (127.0.0.1) passed. Nothing here asks them.

Sources: the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and later), and
outside those, IPv6 global unicast is 2000::/3 only. A reason completes "<address> is ...".
"""

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

type Address = IPv4Address | IPv6Address

UNSPECIFIED = "an unspecified address"
LOOPBACK = "a loopback address (this server)"
LINK_LOCAL = "a link-local address (such as the cloud's metadata service)"
MULTICAST = "a multicast address"
RESERVED = "a reserved address"
PRIVATE = "a private network address"
NOT_PUBLIC = "not a public address"
SIX_TO_FOUR = "a 6to4 address for {ipv4}, which is {problem}"
NAT64 = "a NAT64 address for {ipv4}, which is {problem}"

# First match wins: a range inside another comes before it.
IPV4_RANGES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(network), reason)
    for network, reason in (
        ("0.0.0.0/32", UNSPECIFIED),
        ("0.0.0.0/8", RESERVED),  # "this network"; Linux connects 0.0.0.0 to itself
        ("10.0.0.0/8", PRIVATE),
        ("100.64.0.0/10", NOT_PUBLIC),  # shared address space (carrier-grade NAT)
        ("127.0.0.0/8", LOOPBACK),
        ("169.254.0.0/16", LINK_LOCAL),
        ("172.16.0.0/12", PRIVATE),
        # IETF protocol assignments: the whole /24, though a few of its addresses (192.0.0.9,
        # 192.0.0.10) are marked globally reachable; no webhook receiver lives there.
        ("192.0.0.0/24", RESERVED),
        ("192.0.2.0/24", RESERVED),  # documentation (TEST-NET-1)
        ("192.88.99.0/24", RESERVED),  # 6to4 relay anycast, deprecated
        ("192.168.0.0/16", PRIVATE),
        ("198.18.0.0/15", RESERVED),  # benchmarking
        ("198.51.100.0/24", RESERVED),  # documentation (TEST-NET-2)
        ("203.0.113.0/24", RESERVED),  # documentation (TEST-NET-3)
        ("224.0.0.0/4", MULTICAST),
        ("255.255.255.255/32", RESERVED),  # limited broadcast
        ("240.0.0.0/4", RESERVED),
    )
)


def _embedded_ipv4(address: IPv6Address, low_bit: int) -> IPv4Address:
    """The 32 bits of `address` that end at bit `low_bit` (counted from the right)."""
    return IPv4Address((int(address) >> low_bit) & 0xFFFFFFFF)


def _wrapped(form: str, position: int) -> Callable[[IPv6Address, bool], str | None]:
    """Decided by the IPv4 address inside, where a relay or a translator finally sends the
    packet; a loopback inside is refused even where loopback is allowed (it isn't this server's
    own)."""

    def decide(address: IPv6Address, allow_loopback: bool) -> str | None:
        ipv4 = _embedded_ipv4(address, position)
        problem = _ipv4_problem(ipv4, allow_loopback=False)
        return form.format(ipv4=ipv4, problem=problem) if problem else None

    return decide


def _mapped(address: IPv6Address, allow_loopback: bool) -> str | None:
    # The system connects to ::ffff:a.b.c.d as to a.b.c.d: exactly that address's answer.
    return _ipv4_problem(_embedded_ipv4(address, 0), allow_loopback=allow_loopback)


def _refused(reason: str) -> Callable[[IPv6Address, bool], str | None]:
    return lambda address, allow_loopback: reason


def _loopback(address: IPv6Address, allow_loopback: bool) -> str | None:
    return None if allow_loopback else LOOPBACK


IPV6_RANGES: tuple[tuple[IPv6Network, Callable[[IPv6Address, bool], str | None]], ...] = tuple(
    (IPv6Network(network), decide)
    for network, decide in (
        ("::/128", _refused(UNSPECIFIED)),
        ("::1/128", _loopback),
        ("::ffff:0:0/96", _mapped),
        ("::/96", _refused(RESERVED)),  # IPv4-compatible, deprecated
        ("64:ff9b::/96", _wrapped(NAT64, 0)),
        # Local-use NAT64: where the IPv4 address sits depends on the network's own prefix
        # length (/48 to /96), so it can't be told from the address: refused.
        ("64:ff9b:1::/48", _refused(NOT_PUBLIC)),
        ("100::/64", _refused(RESERVED)),  # discard-only
        # IETF protocol assignments, Teredo (2001::/32) among them: refused whole, whatever
        # IPv4 addresses a Teredo address carries (Teredo relays are gone from the internet).
        ("2001::/23", _refused(RESERVED)),
        ("2001:db8::/32", _refused(RESERVED)),  # documentation
        ("2002::/16", _wrapped(SIX_TO_FOUR, 80)),  # 2002:aabb:ccdd::/48 is aa.bb.cc.dd's
        ("3fff::/20", _refused(RESERVED)),  # documentation
        ("fc00::/7", _refused(PRIVATE)),  # unique local
        ("fe80::/10", _refused(LINK_LOCAL)),
        ("fec0::/10", _refused(PRIVATE)),  # site-local: the old private addresses
        ("ff00::/8", _refused(MULTICAST)),
    )
)
GLOBAL_UNICAST = IPv6Network("2000::/3")


def _ipv4_problem(address: IPv4Address, *, allow_loopback: bool) -> str | None:
    for network, reason in IPV4_RANGES:
        if address in network:
            return None if reason == LOOPBACK and allow_loopback else reason
    return None


def _ipv6_problem(address: IPv6Address, *, allow_loopback: bool) -> str | None:
    # Without a scope ("fe80::1%eth0"): the range is the address's, whatever the interface.
    address = IPv6Address(int(address))
    for network, decide in IPV6_RANGES:
        if address in network:
            return decide(address, allow_loopback)
    return None if address in GLOBAL_UNICAST else NOT_PUBLIC


def address_problem(address: Address | str, *, allow_loopback: bool = False) -> str | None:
    """Why `address` may not be called (completing "<address> is ..."), or None if it is a
    public one. `allow_loopback` lets 127.0.0.0/8 and ::1 (and ::ffff:127.x) through."""
    if isinstance(address, str):
        address = ip_address(address)
    if isinstance(address, IPv4Address):
        return _ipv4_problem(address, allow_loopback=allow_loopback)
    return _ipv6_problem(address, allow_loopback=allow_loopback)
