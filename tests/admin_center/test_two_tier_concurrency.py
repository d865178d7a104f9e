"""Two-tier races, with real threads and real row locks (PostgreSQL only): one link accepted
twice at once, and an acceptance racing Remove partnership."""

import time

import pytest

from tenancy import services
from tenancy.models import (
    AgreementAcceptance,
    Invitation,
    InvitationStatus,
    Partnership,
    PartnershipStatus,
    ResellerRelationship,
)
from tests.admin_center.conftest import SIGNER, accept_url
from tests.admin_center.test_concurrency import assert_customer_list_is_right, signed_in_client
from tests.threads import at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def two_tier(indirect_reseller, reseller_agent, provider, partnership):
    return services.invitation_create(
        partner=indirect_reseller,
        created_by=reseller_agent,
        include_admin=False,
        indirect_provider=provider,
    )


@pytest.fixture
def slow_checks(monkeypatch):
    """The acceptance's rule check, run under its locks, takes 0.3 s: without the locks a
    second acceptance, or a removal, would slip past it."""
    real = services.RESELLER_REQUESTS.refusal
    calls = []

    def slow(**kwargs):
        calls.append(kwargs["request"].pk)
        result = real(**kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(services.RESELLER_REQUESTS, "refusal", slow)
    return calls


def test_the_same_two_tier_link_accepted_twice_at_once_makes_one_set(
    two_tier, customer, customer_admin, provider, indirect_reseller, slow_checks
):
    first = signed_in_client(customer_admin, two_tier)
    second = signed_in_client(customer_admin, two_tier)
    responses = at_once(
        lambda: first.post(accept_url(two_tier), SIGNER),
        lambda: second.post(accept_url(two_tier), SIGNER),
    )
    assert sorted(r.status_code for r in responses) == [302, 409], responses
    assert len(slow_checks) == 4
    active = ResellerRelationship.objects.active().filter(customer=customer)
    assert sorted(active.values_list("partner_id", "indirect_provider_id")) == sorted(
        [(provider.pk, None), (indirect_reseller.pk, provider.pk)]
    )
    assert AgreementAcceptance.objects.count() == 1
    assert Invitation.objects.get().status == InvitationStatus.ACCEPTED
    assert_customer_list_is_right()


def test_an_acceptance_racing_remove_partnership_ends_one_consistent_way(
    two_tier, customer, customer_admin, provider, provider_admin, partnership, slow_checks
):
    client = signed_in_client(customer_admin, two_tier)

    def remove():
        time.sleep(0.1)  # lets the acceptance take its locks first, most of the time
        try:
            services.partnership_remove(
                partnership=partnership, removed_by=provider_admin, by=provider
            )
        except services.ServiceError as refused:
            return refused.message
        return "removed"

    accepted, removal = at_once(lambda: client.post(accept_url(two_tier), SIGNER), remove)
    assert removal == "removed"
    assert Partnership.objects.get().status == PartnershipStatus.REMOVED
    two_tier.refresh_from_db()
    if two_tier.status == InvitationStatus.ACCEPTED:
        # The acceptance came first; the removal then ended the reseller's new link.
        assert accepted.status_code == 302
        assert ResellerRelationship.objects.active().get().partner == provider
        assert ResellerRelationship.objects.get(indirect_provider=provider).ended_at is not None
    else:
        # The removal came first; the acceptance saw it and changed nothing.
        assert accepted.status_code == 410
        assert not ResellerRelationship.objects.exists()
        assert not AgreementAcceptance.objects.exists()
    # Either way: no reseller sells through a partnership that has ended.
    assert not ResellerRelationship.objects.active().filter(indirect_provider=provider).exists()
    assert_customer_list_is_right()


def test_a_removal_holding_the_partnership_makes_the_acceptance_wait_and_refuse(
    two_tier, customer_admin, provider, provider_admin, partnership, monkeypatch
):
    """The other order, forced: the removal holds the partnership's lock while it counts the
    subscriptions; the acceptance waits for it, then finds the partnership removed."""
    real = services.partnership_active_subscriptions
    from tenancy.services import partnerships

    def slow_count(partnership):
        result = real(partnership)
        time.sleep(0.4)
        return result

    monkeypatch.setattr(partnerships, "partnership_active_subscriptions", slow_count)
    client = signed_in_client(customer_admin, two_tier)

    def accept():
        time.sleep(0.15)
        return client.post(accept_url(two_tier), SIGNER)

    _, accepted = at_once(
        lambda: services.partnership_remove(
            partnership=partnership, removed_by=provider_admin, by=provider
        ),
        accept,
    )
    assert accepted.status_code == 410
    assert b"This request can no longer be accepted" in accepted.content
    assert not ResellerRelationship.objects.exists()
    assert_customer_list_is_right()
