"""The webhook address filter over a table of addresses: every special-purpose range's first and
last address, private IPv4 addresses inside 6to4, NAT64, mapped and Teredo ones, and public
addresses that must pass; decided from the address itself, whatever the Python version. Checked
through tenancy.net_addresses, through the Add webhook page and the registration API (a URL
with the address in it, refused with the reason), and again when a delivery is sent."""

import html
from ipaddress import ip_address

import pytest
from django.urls import reverse

from tenancy import services
from tenancy.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Membership,
    Role,
    WebhookEventName,
    WebhookSubscription,
)
from tenancy.net_addresses import address_problem
from tests.api.bulk_fixtures import client_of

UNSPECIFIED = "an unspecified address"
LOOPBACK = "a loopback address (this server)"
LINK_LOCAL = "a link-local address (such as the cloud's metadata service)"
MULTICAST = "a multicast address"
RESERVED = "a reserved address"
PRIVATE = "a private network address"
NOT_PUBLIC = "not a public address"
PUBLIC_ONLY = "Webhooks are sent only to public internet addresses."

REFUSED = [
    # What the probe found let through (issue 24).
    ("fec0::1", PRIVATE),
    ("2002:7f00:1::1", f"a 6to4 address for 127.0.0.1, which is {LOOPBACK}"),
    ("2002:a9fe:a9fe::1", f"a 6to4 address for 169.254.169.254, which is {LINK_LOCAL}"),
    ("192.0.0.8", RESERVED),
    # IPv4: each range's first and last address.
    ("0.0.0.0", UNSPECIFIED),  # noqa: S104 (refused, not bound to)
    ("0.0.0.1", RESERVED),
    ("0.255.255.255", RESERVED),
    ("10.0.0.0", PRIVATE),
    ("10.255.255.255", PRIVATE),
    ("100.64.0.0", NOT_PUBLIC),
    ("100.127.255.255", NOT_PUBLIC),
    ("127.0.0.0", LOOPBACK),
    ("127.255.255.255", LOOPBACK),
    ("169.254.0.0", LINK_LOCAL),
    ("169.254.255.255", LINK_LOCAL),
    ("172.16.0.0", PRIVATE),
    ("172.31.255.255", PRIVATE),
    ("192.0.0.0", RESERVED),
    ("192.0.0.9", RESERVED),
    ("192.0.0.10", RESERVED),
    ("192.0.0.255", RESERVED),
    ("192.0.2.0", RESERVED),
    ("192.0.2.255", RESERVED),
    ("192.88.99.0", RESERVED),
    ("192.88.99.255", RESERVED),
    ("192.168.0.0", PRIVATE),
    ("192.168.255.255", PRIVATE),
    ("198.18.0.0", RESERVED),
    ("198.19.255.255", RESERVED),
    ("198.51.100.0", RESERVED),
    ("198.51.100.255", RESERVED),
    ("203.0.113.0", RESERVED),
    ("203.0.113.255", RESERVED),
    ("224.0.0.0", MULTICAST),
    ("239.255.255.255", MULTICAST),
    ("240.0.0.0", RESERVED),
    ("255.255.255.254", RESERVED),
    ("255.255.255.255", RESERVED),
    # IPv6: each range's first and last address.
    ("::", UNSPECIFIED),
    ("::1", LOOPBACK),
    ("::2", RESERVED),  # IPv4-compatible, deprecated
    ("::ffff:ffff", RESERVED),
    ("::ffff:0.0.0.0", UNSPECIFIED),
    ("::ffff:10.0.0.1", PRIVATE),
    ("::ffff:127.0.0.1", LOOPBACK),
    ("::ffff:169.254.169.254", LINK_LOCAL),
    ("::ffff:192.0.0.8", RESERVED),
    ("::ffff:255.255.255.255", RESERVED),
    ("64:ff9b::", f"a NAT64 address for 0.0.0.0, which is {UNSPECIFIED}"),
    ("64:ff9b::a00:1", f"a NAT64 address for 10.0.0.1, which is {PRIVATE}"),
    ("64:ff9b::7f00:1", f"a NAT64 address for 127.0.0.1, which is {LOOPBACK}"),
    ("64:ff9b::a9fe:a9fe", f"a NAT64 address for 169.254.169.254, which is {LINK_LOCAL}"),
    ("64:ff9b::ffff:ffff", f"a NAT64 address for 255.255.255.255, which is {RESERVED}"),
    ("64:ff9b:1::", NOT_PUBLIC),
    ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", NOT_PUBLIC),
    ("64:ff9b:1::808:808", NOT_PUBLIC),  # local-use NAT64: refused whatever it wraps
    ("100::", RESERVED),
    ("100::ffff:ffff:ffff:ffff", RESERVED),
    ("2001::", RESERVED),
    ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", RESERVED),
    # Teredo (server 65.54.227.120, client 10.0.0.1 and 8.8.8.8): refused, whatever it carries.
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", RESERVED),
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", RESERVED),
    ("2001:db8::", RESERVED),
    ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", RESERVED),
    ("2002::", f"a 6to4 address for 0.0.0.0, which is {UNSPECIFIED}"),
    ("2002:a00:1::1", f"a 6to4 address for 10.0.0.1, which is {PRIVATE}"),
    ("2002:c0a8:101::1", f"a 6to4 address for 192.168.1.1, which is {PRIVATE}"),
    ("2002:6440::1", f"a 6to4 address for 100.64.0.0, which is {NOT_PUBLIC}"),
    ("2002:c000:8::1", f"a 6to4 address for 192.0.0.8, which is {RESERVED}"),
    ("2002:e000::1", f"a 6to4 address for 224.0.0.0, which is {MULTICAST}"),
    (
        "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        f"a 6to4 address for 255.255.255.255, which is {RESERVED}",
    ),
    ("3fff::", RESERVED),
    ("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", RESERVED),
    ("fc00::", PRIVATE),
    ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", PRIVATE),
    ("fe80::", LINK_LOCAL),
    ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", LINK_LOCAL),
    ("fec0::", PRIVATE),
    ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", PRIVATE),
    ("ff00::", MULTICAST),
    ("ff02::1", MULTICAST),
    ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", MULTICAST),
    # Outside global unicast (2000::/3) and the ranges above.
    ("::1:0:0:0", NOT_PUBLIC),
    ("::ffff:0:a00:1", NOT_PUBLIC),  # IPv4-translated (SIIT)
    ("64:ff9b:2::1", NOT_PUBLIC),
    ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NOT_PUBLIC),
    ("4000::", NOT_PUBLIC),
    ("5f00::1", NOT_PUBLIC),
    ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NOT_PUBLIC),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "1.0.0.0",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "191.255.255.255",
    "192.0.1.0",
    "192.0.3.0",
    "192.88.98.255",
    "192.88.100.0",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "203.0.112.255",
    "203.0.114.0",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2000::",
    "2001:200::",
    "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
    "2001:db9::",
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "2003::",
    "3ffe:ffff::1",
    "3fff:1000::",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "::ffff:8.8.8.8",
]


ADD_WEBHOOK = reverse("partner_center:webhook-list")


def url_of(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}/hooks"


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_it_refuses_special_purpose_addresses_with_the_reason(address, reason):
    assert address_problem(ip_address(address)) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_it_lets_public_addresses_through(address):
    assert address_problem(ip_address(address)) is None
    assert address_problem(ip_address(address), allow_loopback=True) is None


def test_allowing_loopback_lets_only_loopback_itself_through():
    for address in ("127.0.0.1", "127.255.255.255", "::1", "::ffff:127.0.0.1"):
        assert address_problem(address, allow_loopback=True) is None
        assert address_problem(address) is not None
    for address in ("2002:7f00:1::1", "64:ff9b::7f00:1", "::7f00:1", "10.0.0.1", "fe80::1"):
        assert address_problem(address, allow_loopback=True) is not None


def test_an_ipv6_scope_changes_nothing():
    assert address_problem(ip_address("fe80::1%eth0")) == LINK_LOCAL
    assert address_problem(ip_address("2606:4700:4700::1111%1")) is None


def test_it_never_asks_pythons_own_tables(monkeypatch):
    """The same answers on every Python: none of ipaddress's verdicts is consulted."""
    import ipaddress

    def asked(self):
        raise AssertionError("asked Python's table")

    for cls in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        for name in (
            "is_private",
            "is_global",
            "is_reserved",
            "is_loopback",
            "is_link_local",
            "is_multicast",
            "is_unspecified",
            "is_site_local",
        ):
            if hasattr(cls, name):
                monkeypatch.setattr(cls, name, property(asked))
    for address, reason in REFUSED:
        assert address_problem(address) == reason
    for address in PUBLIC:
        assert address_problem(address) is None


# --- Where a person meets it ---------------------------------------------------------------------


@pytest.fixture
def no_loopback(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False


@pytest.mark.django_db
@pytest.mark.usefixtures("no_loopback")
@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_add_webhook_refuses_the_address_saying_why(client_for, admin_agent, address, reason):
    response = client_for(admin_agent).post(
        ADD_WEBHOOK,
        {"url": url_of(address), "events": [WebhookEventName.ADMIN_APPROVED.value]},
    )

    assert response.status_code == 400
    assert f"{address} is {reason}. {PUBLIC_ONLY}" in html.unescape(response.text)
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("no_loopback")
@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "2002:808:808::1"])
def test_add_webhook_takes_a_public_address(client_for, admin_agent, address):
    response = client_for(admin_agent).post(
        ADD_WEBHOOK,
        {"url": url_of(address), "events": [WebhookEventName.ADMIN_APPROVED.value]},
    )

    assert response.status_code < 400
    assert WebhookSubscription.objects.get().url == url_of(address)


@pytest.mark.django_db
@pytest.mark.usefixtures("no_loopback")
@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("fec0::1", PRIVATE),
        ("2002:7f00:1::1", f"a 6to4 address for 127.0.0.1, which is {LOOPBACK}"),
        ("2002:a9fe:a9fe::1", f"a 6to4 address for 169.254.169.254, which is {LINK_LOCAL}"),
        ("192.0.0.8", RESERVED),
        ("64:ff9b::a00:1", f"a NAT64 address for 10.0.0.1, which is {PRIVATE}"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", RESERVED),
    ],
)
def test_the_registration_api_refuses_the_address_saying_why(partner_global_admin, address, reason):
    api = client_of(partner_global_admin, Role.ADMIN_AGENT)
    response = api.post(
        "/v1/webhooks/registration",
        {"WebhookUrl": url_of(address), "WebhookEvents": [WebhookEventName.ADMIN_APPROVED.value]},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "address"
    assert response.json()["description"] == f"{address} is {reason}. {PUBLIC_ONLY}"
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("2002:7f00:1::1", f"a 6to4 address for 127.0.0.1, which is {LOOPBACK}"),
        ("fec0::1", PRIVATE),
        ("192.0.0.8", RESERVED),
    ],
)
def test_a_webhook_saved_before_the_filter_knew_is_not_sent_to(
    settings, django_capture_on_commit_callbacks, admin_agent, address, reason
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    membership = Membership.objects.of_user(admin_agent)
    subscription = services.webhook_subscription_create(
        membership=membership,
        url="http://127.0.0.1:9/hooks",
        events=[WebhookEventName.ADMIN_APPROVED.value],
    )
    # As if saved when the filter let the address through.
    WebhookSubscription.objects.filter(pk=subscription.pk).update(url=url_of(address))
    subscription.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_send_test(membership=membership, subscription=subscription)

    [attempt] = DeliveryAttempt.objects.all()
    assert attempt.outcome == AttemptOutcome.REFUSED
    assert attempt.error == f"Not sent: {address} is {reason}. {PUBLIC_ONLY}"
