"""No page answered at a request link's URL carries the link's token: not in its HTML (the
language picker's `next` above all: using the picker would put the token in a redirect), not in
a redirect. Both kinds of request (a reseller relationship request, an admin relationship
request), every state a link can be found in, every kind of visitor, both admin portals."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenancy.models import AdminRelationshipStatus, Cloud, InvitationStatus, Role
from tenancy.web.throttle import LINK_OPEN_RATE
from tests.admin_center.conftest import link_path
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    InvitationFactory,
    factory_admin_token,
    member,
)

pytestmark = pytest.mark.django_db


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("token", [""])[0]


def mangled(url: str) -> str:
    token = token_of(url)
    return url.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))


def other_portal(url: str) -> str:
    return url.replace("/admin-center/", "/office-admin/")


def admin_link(relationship, *, token=None, pk=None) -> str:
    path = reverse("admin_center:gdap-open", args=[pk or relationship.pk])
    return f"{path}?{urlencode({'token': token or factory_admin_token(relationship)})}"


@pytest.fixture
def reseller_links(partner_a, sales_agent, provider, partnership, customer, customer_admin):
    """Reseller relationship requests' links in each state, and edited."""

    def invitation(**fields):
        return InvitationFactory(partner=partner_a, created_by=sales_agent, **fields)

    waiting = invitation()
    past = timezone.now() - timedelta(days=1)
    answered = {"answered_tenant": customer, "answered_by": customer_admin, "answered_at": past}
    links = [
        link_path(waiting),
        link_path(invitation(expires_at=past)),
        link_path(invitation(status=InvitationStatus.REVOKED, revoked_at=past)),
        link_path(invitation(status=InvitationStatus.ACCEPTED, **answered)),
        link_path(invitation(status=InvitationStatus.DECLINED, **answered)),
    ]
    two_tier = InvitationFactory(
        partner=partnership.reseller,
        created_by=member(partnership.reseller, Role.SALES_AGENT),
        indirect_provider=provider,
    )
    links += [
        link_path(two_tier),
        # The provider left out, and named on a direct request.
        re.sub(r"&?indirectCSPId=[^&]*", "", link_path(two_tier)),
        link_path(waiting) + f"&indirectCSPId={provider.pk}",
        # Another partner named.
        link_path(waiting).replace(str(partner_a.pk), str(provider.pk)),
    ]
    return [*links, mangled(links[0]), other_portal(links[0])]


@pytest.fixture
def admin_links(partner_a, admin_agent, customer):
    """Admin relationship requests' links in each state, and edited."""

    def relationship(**fields):
        return AdminRelationshipFactory(partner=partner_a, created_by=admin_agent, **fields)

    waiting = relationship(pending=True, customer=None)
    other = relationship(pending=True, customer=None)
    long_ago = timezone.now() - timedelta(days=200)
    links = [
        admin_link(waiting),
        admin_link(relationship(customer=customer)),  # approved
        admin_link(
            relationship(pending=True, customer=None, created_at=long_ago, finalized_at=long_ago)
        ),
        admin_link(
            relationship(
                pending=True,
                customer=None,
                status=AdminRelationshipStatus.WITHDRAWN,
                closed_at=timezone.now(),
            )
        ),
        admin_link(relationship(pending=True, customer=CustomerFactory())),  # for another
        admin_link(
            relationship(
                pending=True,
                customer=customer,
                status=AdminRelationshipStatus.DECLINED,
                closed_at=timezone.now(),
            )
        ),
        # Another request's token; this token on another request's id; a mangled id.
        admin_link(waiting, token=factory_admin_token(other)),
        admin_link(other, token=factory_admin_token(waiting)),
        reverse("admin_center:gdap-open", args=[waiting.pk]).replace(str(waiting.pk), "x")
        + f"?token={factory_admin_token(waiting)}",
    ]
    return [*links, mangled(links[0]), other_portal(links[0])]


@pytest.fixture
def visitors(client_for, customer_admin, customer_user, sales_agent):
    """Who may follow a link: nobody signed in, the customer's administrator and plain user,
    another customer's administrator, a partner's agent, a US Government customer."""
    elsewhere = member(CustomerFactory(), Role.CUSTOMER_GLOBAL_ADMIN, username="ga@else.example")
    gov = member(
        CustomerFactory(cloud=Cloud.USGOV), Role.CUSTOMER_GLOBAL_ADMIN, username="ga@gov.example"
    )
    return {
        "signed out": Client,
        **{
            name: (lambda user=user: client_for(user))
            for name, user in [
                ("customer admin", customer_admin),
                ("customer user", customer_user),
                ("another customer", elsewhere),
                ("partner agent", sales_agent),
                ("US Government customer", gov),
            ]
        },
    }


def carried(response, token: str) -> bool:
    return token in response.content.decode(errors="replace") or token in response.get(
        "Location", ""
    )


@pytest.mark.parametrize("kind", ["reseller", "admin"])
def test_no_page_at_a_links_url_carries_its_token(kind, reseller_links, admin_links, visitors):
    links = reseller_links if kind == "reseller" else admin_links
    seen, answers = [], set()
    for name, make_client in visitors.items():
        for link in links:
            client = make_client()
            response = client.get(link)
            answers.add(response.status_code)
            if carried(response, token_of(link)):
                seen.append(f"{name}, {response.status_code}: {link}")
            # And where it leads: the request's page, signing in, or its refusal.
            after = client.get(link, follow=True)
            answers.add(after.status_code)
            hops = " ".join(url for url, _ in after.redirect_chain)
            if carried(after, token_of(link)) or token_of(link) in hops:
                seen.append(f"{name}, then {after.status_code}: {link}")
    # The walk reached the working links, their pages and the refusals on the way.
    assert {200, 302, 400, 403, 404, 410} <= answers
    assert not seen, "\n".join(seen)


@pytest.mark.parametrize("kind", ["reseller", "admin"])
def test_the_too_many_requests_page_at_a_link_carries_no_token(
    kind, reseller_links, admin_links, customer_admin, client_for
):
    link = (reseller_links if kind == "reseller" else admin_links)[0]
    client = client_for(customer_admin)
    for _ in range(LINK_OPEN_RATE["limit"]):
        client.get(link)
    response = client.get(link)
    assert response.status_code == 429
    assert not carried(response, token_of(link))


def test_the_language_picker_on_a_refusal_goes_somewhere_safe(client, reseller_links):
    link = mangled(reseller_links[0])
    refusal = client.get(link)
    assert refusal.status_code == 404
    assert 'name="language"' in refusal.text  # the picker is there

    changed = client.post(reverse("set-language"), {"language": "fr", "next": link})
    assert changed.status_code == 302
    assert token_of(link) not in changed["Location"]
    assert "token" not in changed["Location"]
