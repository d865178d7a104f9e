"""Races, with real threads and real row locks (PostgreSQL only).

Each test widens the race window: the rule check inside the accepting transaction sleeps, so
without the locks both requests would pass it and create a second relationship.
"""

import time

import pytest
from django.test import Client
from django.urls import reverse

from tenancy import services
from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.models import (
    AgreementAcceptance,
    CustomerListRow,
    Invitation,
    InvitationStatus,
    ResellerRelationship,
)
from tests.admin_center.conftest import SIGNER, accept_url, link_path
from tests.threads import at_once

# Transactional tests run last (pytest-django orders them after the others), some after the
# browser tests have emptied the database: the reference data is loaded again, not restored.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def slow_checks(monkeypatch):
    """Slows the rule check the answering services run under their locks. Returns the calls
    made, so each test proves it really went through the slowed check (a patch of a function
    nobody calls would leave the race untested)."""
    real = services.RESELLER_REQUESTS.refusal
    calls = []

    def slow(**kwargs):
        calls.append(kwargs["request"].pk)
        result = real(**kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(services.RESELLER_REQUESTS, "refusal", slow)
    return calls


def assert_customer_list_is_right():
    """The read model the races wrote equals the one rebuilt from the relationship tables."""
    fields = ["partner_id", "customer_id", "state", "since", "ended_at"]
    written = sorted(CustomerListRow.objects.values_list(*fields))
    customer_list_rebuild()
    assert written == sorted(CustomerListRow.objects.values_list(*fields))


def signed_in_client(user, invitation) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(link_path(invitation)).status_code == 302
    return client


def test_the_same_link_accepted_twice_at_once(invitation, customer_admin, slow_checks):
    first = signed_in_client(customer_admin, invitation)
    second = signed_in_client(customer_admin, invitation)
    responses = at_once(
        lambda: first.post(accept_url(invitation), SIGNER),
        lambda: second.post(accept_url(invitation), SIGNER),
    )
    assert sorted(r.status_code for r in responses) == [302, 409], responses
    # Each post ran the slowed check twice: in the page, then in the service under its locks.
    assert len(slow_checks) == 4
    assert ResellerRelationship.objects.active().count() == 1
    assert Invitation.objects.filter(status=InvitationStatus.ACCEPTED).count() == 1
    assert AgreementAcceptance.objects.count() == 1
    assert CustomerListRow.objects.count() == 1
    assert_customer_list_is_right()


def test_two_links_from_one_partner_accepted_at_once_by_one_customer(
    partner_a, sales_agent, customer_admin, slow_checks
):
    links = [
        services.invitation_create(partner=partner_a, created_by=sales_agent, include_admin=True)
        for _ in range(2)
    ]
    clients = [signed_in_client(customer_admin, link) for link in links]
    responses = at_once(
        *[
            (lambda client=client, link=link: client.post(accept_url(link), SIGNER))
            for client, link in zip(clients, links, strict=True)
        ]
    )
    assert sorted(r.status_code for r in responses) == [302, 409], responses
    assert b"already your reseller" in next(r for r in responses if r.status_code == 409).content
    assert len(slow_checks) == 4
    assert ResellerRelationship.objects.active().count() == 1
    assert Invitation.objects.filter(status=InvitationStatus.ACCEPTED).count() == 1
    assert Invitation.objects.filter(status=InvitationStatus.PENDING).count() == 1
    assert_customer_list_is_right()


def test_a_revocation_racing_an_acceptance_leaves_one_answer(
    invitation, sales_agent, customer_admin, slow_checks
):
    client = signed_in_client(customer_admin, invitation)

    def revoke():
        try:
            services.invitation_revoke(invitation=invitation, revoked_by=sales_agent)
        except services.ServiceError as refused:
            return refused.message
        return "revoked"

    outcome, revocation = at_once(lambda: client.post(accept_url(invitation), SIGNER), revoke)
    invitation.refresh_from_db()
    if invitation.status == InvitationStatus.ACCEPTED:
        assert outcome.status_code == 302
        assert revocation == "This request was already accepted."
        assert ResellerRelationship.objects.active().count() == 1
    else:
        assert invitation.status == InvitationStatus.REVOKED
        assert outcome.status_code == 410
        assert not ResellerRelationship.objects.exists()
    assert_customer_list_is_right()


def test_ten_agreement_acceptances_at_once_record_one(customer, customer_admin, monkeypatch):
    from tenancy.services import agreements

    real = agreements.record_agreement

    def slow(*args, **kwargs):
        time.sleep(0.2)  # wide open: without the lock, every post would get here
        return real(*args, **kwargs)

    monkeypatch.setattr(agreements, "record_agreement", slow)
    clients = []
    for _ in range(10):
        client = Client()
        client.force_login(customer_admin)
        clients.append(client)
    url = reverse("admin_center:agreements")
    responses = at_once(*[(lambda c=c: c.post(url, SIGNER)) for c in clients])
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert {r.status_code for r in responses} <= {200, 302}, [r.status_code for r in responses]
    assert AgreementAcceptance.objects.filter(customer=customer).count() == 1


def test_two_loads_of_a_refused_request_at_once_record_one_line(invitation, monkeypatch):
    """The refusal page is loaded twice at once (a double click, two tabs): one audit line.
    Between "was it recorded?" and the write, the recording sleeps; the request's row lock
    makes the second load wait, then find the first's line."""
    from tenancy.models import AuditAction, AuditEvent, Role
    from tenancy.services import request_links
    from tests.factories import CustomerFactory, member

    canadian = member(CustomerFactory(country_id="CA"), Role.CUSTOMER_GLOBAL_ADMIN)
    real = request_links.record

    def slow_record(*args, **kwargs):
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(request_links, "record", slow_record)
    clients = [signed_in_client(canadian, invitation) for _ in range(2)]
    page = reverse("admin_center:partner-invitation", args=[invitation.pk])
    responses = at_once(*(lambda client=client: client.get(page) for client in clients))
    assert [response.status_code for response in responses] == [403, 403]
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_REFUSED).count() == 1
