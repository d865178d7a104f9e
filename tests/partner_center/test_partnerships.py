"""Two tiers in Partner Center: a provider's Indirect resellers and Request a partnership (from
the list, or by PartnerID + Verify); a reseller's Indirect providers, where its Global admin
accepts or declines; Remove partnership from either side; who may see what."""

import uuid

import pytest
from django.utils import timezone

from tenancy.models import (
    AuditAction,
    AuditEvent,
    Cloud,
    Partnership,
    PartnershipStatus,
    ResellerRelationship,
    Role,
    Tenant,
)
from tests.factories import (
    CustomerFactory,
    IndirectResellerFactory,
    PartnershipFactory,
    ProviderFactory,
    SubscriptionFactory,
    indirect_link,
    member,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

RESELLERS = url("indirect-reseller-list")
PROVIDERS = url("indirect-provider-list")
REQUEST = url("partnership-request")


@pytest.fixture
def pending(provider, indirect_reseller):
    return PartnershipFactory(
        provider=provider, reseller=indirect_reseller, status=PartnershipStatus.PENDING
    )


def remove_url(partnership) -> str:
    return url("partnership-remove", partnership.pk)


def answer_url(partnership) -> str:
    return url("partnership-answer", partnership.pk)


def audited(action: AuditAction) -> set:
    return set(AuditEvent.objects.filter(action=action).values_list("partner__name", flat=True))


# --- Request a partnership ----------------------------------------------------------------


def test_a_provider_requests_a_reseller_chosen_from_the_list(
    client_for, provider, provider_admin, indirect_reseller
):
    client = client_for(provider_admin)
    page = client.get(REQUEST)
    assert page.status_code == 200
    assert "Indirect reseller not in the list? Enter PartnerID" in page.text
    assert f"Fabrikam Resellers (United States, PartnerID {indirect_reseller.mpn_id})" in page.text

    confirm = client.post(REQUEST, {"listed": str(indirect_reseller.pk), "partner_id": ""})
    assert confirm.status_code == 200
    assert "Request a partnership with Fabrikam Resellers?" in confirm.text
    assert f'type="hidden" name="reseller" value="{indirect_reseller.pk}"' in confirm.text
    assert not Partnership.objects.exists()  # Verify asks nothing yet

    done = client.post(REQUEST, {"reseller": str(indirect_reseller.pk)}, follow=True)
    assert done.redirect_chain[-1][0] == RESELLERS
    assert "Your request was sent to Fabrikam Resellers." in done.text
    partnership = Partnership.objects.get()
    assert (partnership.provider, partnership.reseller) == (provider, indirect_reseller)
    assert partnership.status == PartnershipStatus.PENDING
    assert partnership.requested_by == provider_admin
    assert "Withdraw request" in done.text
    assert audited(AuditAction.PARTNERSHIP_REQUESTED) == {
        "Tailspin Distribution",
        "Fabrikam Resellers",
    }


def test_a_provider_finds_a_reseller_by_partner_id_and_verifies_it(
    client_for, provider, provider_admin, indirect_reseller
):
    client = client_for(provider_admin)
    confirm = client.post(REQUEST, {"partner_id": str(indirect_reseller.mpn_id)})
    assert confirm.status_code == 200
    for fact in ("Fabrikam Resellers", "United States", str(indirect_reseller.mpn_id)):
        assert fact in confirm.text
    assert "Request a partnership</button>" in confirm.text

    client.post(REQUEST, {"reseller": str(indirect_reseller.pk)})
    partnership = Partnership.objects.get(provider=provider, reseller=indirect_reseller)
    assert partnership.is_pending
    events = AuditEvent.objects.filter(action=AuditAction.PARTNERSHIP_REQUESTED)
    assert {event.partner for event in events} == {provider, indirect_reseller}


@pytest.mark.parametrize("typed", ["9999999", "abc", "12345678901234567890", "-4"])
def test_an_unknown_or_garbled_partner_id_is_a_field_error(
    client_for, provider_admin, indirect_reseller, typed
):
    response = client_for(provider_admin).post(REQUEST, {"partner_id": typed})
    assert response.status_code == 400
    errors = response.context["form"].errors["partner_id"]
    if typed == "abc":
        assert errors == ["A PartnerID is a number, like 4001234."]
    else:
        assert errors == [f"No partner has PartnerID {int(typed)}."]
        assert f"No partner has PartnerID {int(typed)}." in response.text
    assert not Partnership.objects.exists()


def test_verify_with_nothing_chosen_says_what_to_do(client_for, provider_admin):
    response = client_for(provider_admin).post(REQUEST, {"listed": "", "partner_id": ""})
    assert response.status_code == 400
    assert "Choose an indirect reseller from the list, or enter its PartnerID." in response.text


def test_a_reseller_in_another_market_is_refused_naming_both(client_for, provider_admin):
    french = IndirectResellerFactory(name="Fabrikam France", country_id="FR")
    client = client_for(provider_admin)
    assert "Fabrikam France" not in client.get(REQUEST).text  # not offered in the list
    response = client.post(REQUEST, {"partner_id": str(french.mpn_id)})
    assert response.status_code == 400
    [reason] = response.context["form"].non_field_errors()
    assert "Tailspin Distribution is an indirect provider in" in reason
    assert "Fabrikam France is in" in reason
    assert "partners only with resellers in its own market" in reason
    assert reason in response.text.replace("&#x27;", "'")
    # The hidden field forged past Verify: the service says the same, and nothing is made.
    forged = client.post(REQUEST, {"reseller": str(french.pk)})
    assert forged.status_code == 400
    assert forged.context["problems"] == [reason]
    assert not Partnership.objects.exists()


def test_a_partner_that_is_not_an_indirect_reseller_is_refused(
    client_for, provider_admin, partner_a
):
    response = client_for(provider_admin).post(REQUEST, {"partner_id": str(partner_a.mpn_id)})
    assert response.status_code == 400
    assert "Contoso Partners is a direct-bill partner, not an indirect reseller." in response.text
    assert not Partnership.objects.exists()


def test_a_reseller_already_partnered_is_refused(
    client_for, provider_admin, indirect_reseller, partnership
):
    client = client_for(provider_admin)
    assert "Fabrikam Resellers" not in client.get(REQUEST).text  # not offered again
    verify = client.post(REQUEST, {"partner_id": str(indirect_reseller.mpn_id)})
    assert verify.status_code == 400
    assert "Fabrikam Resellers is already your indirect reseller." in verify.text
    confirm = client.post(REQUEST, {"reseller": str(indirect_reseller.pk)})
    assert confirm.status_code == 400
    assert "Fabrikam Resellers is already your indirect reseller." in confirm.text
    assert Partnership.objects.count() == 1


@pytest.mark.parametrize("forged", ["", "not-a-uuid", str(uuid.uuid4()), "customer"])
def test_a_forged_hidden_reseller_is_a_form_error(client_for, provider_admin, forged):
    if forged == "customer":
        forged = str(CustomerFactory().pk)
    response = client_for(provider_admin).post(REQUEST, {"reseller": forged})
    assert response.status_code == 400
    [problem] = response.context["problems"]
    assert problem in (
        "Choose the indirect reseller again.",
        "That indirect reseller wasn't found. Choose it again.",
    )
    assert problem.replace("'", "&#x27;") in response.text
    assert not Partnership.objects.exists()


def test_the_list_offers_only_resellers_the_provider_may_ask(
    client_for, provider, provider_admin, indirect_reseller, partner_a
):
    asked = IndirectResellerFactory(name="Already Asked")
    PartnershipFactory(provider=provider, reseller=asked, status=PartnershipStatus.PENDING)
    was = IndirectResellerFactory(name="Once Declined")
    PartnershipFactory(provider=provider, reseller=was, status=PartnershipStatus.DECLINED)
    IndirectResellerFactory(name="In Gov Cloud", cloud=Cloud.USGOV)
    IndirectResellerFactory(name="In France", country_id="FR")
    ProviderFactory(name="Another Provider")
    offered = [
        label
        for _, label in client_for(provider_admin)
        .get(REQUEST)
        .context["form"]
        .fields["listed"]
        .choices
    ]
    names = [label.split(" (")[0] for label in offered[1:]]
    assert names == ["Fabrikam Resellers", "Once Declined"]


def test_the_list_stops_at_100_in_one_query(client_for, provider_admin, django_assert_num_queries):
    Tenant.objects.bulk_create(IndirectResellerFactory.build() for _ in range(101))
    client = client_for(provider_admin)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        page = client.get(REQUEST)
    assert len(page.context["form"].fields["listed"].choices) == 1 + 100
    assert "The list shows the first 100 indirect resellers by name." in page.text


def test_only_a_global_admin_requests(client_for, provider_agent, indirect_reseller):
    client = client_for(provider_agent)
    listed = client.get(RESELLERS)
    assert listed.status_code == 200
    assert "Request a partnership" not in listed.text
    for response in (
        client.get(REQUEST),
        client.post(REQUEST, {"reseller": str(indirect_reseller.pk)}),
    ):
        assert response.status_code == 403
        assert "Only Global admins can request, accept or remove an indirect partnership." in (
            response.text
        )
    assert not Partnership.objects.exists()


def test_a_reseller_cannot_request(client_for, reseller_admin, provider):
    response = client_for(reseller_admin).post(REQUEST, {"partner_id": str(provider.mpn_id)})
    assert response.status_code == 403
    assert "Request a partnership is a page for indirect providers." in response.text
    assert not Partnership.objects.exists()


# --- The lists ----------------------------------------------------------------------------


def test_the_provider_sees_its_partnerships_and_past_ones(
    client_for, provider, provider_admin, partnership
):
    PartnershipFactory(
        provider=provider,
        reseller=IndirectResellerFactory(name="Asked Reseller"),
        status=PartnershipStatus.PENDING,
    )
    PartnershipFactory(
        provider=provider,
        reseller=IndirectResellerFactory(name="Declining Reseller"),
        status=PartnershipStatus.DECLINED,
    )
    PartnershipFactory(reseller=IndirectResellerFactory(name="Someone Else's Reseller"))
    page = client_for(provider_admin).get(RESELLERS)
    assert page.status_code == 200
    # Newest request first: the pending one was asked today, the partnership 60 days ago.
    assert [p.counterpart.name for p in page.context["current"]] == [
        "Asked Reseller",
        "Fabrikam Resellers",
    ]
    assert [p.counterpart.name for p in page.context["past"]] == ["Declining Reseller"]
    assert "Someone Else" not in page.text
    assert "Remove partnership<span" in page.text
    assert "Withdraw request<span" in page.text
    assert "Past partnerships" in page.text
    assert str(partnership.reseller.mpn_id) in page.text
    assert f'href="{RESELLERS}" aria-current="page">Indirect resellers</a>' in page.text
    assert "Request a partnership</a>" in page.text


def test_the_nav_shows_each_side_its_page_only(
    client_for, provider_admin, reseller_admin, partner_global_admin
):
    provider_page = client_for(provider_admin).get(url("customer-list")).text
    assert ">Indirect resellers</a>" in provider_page
    assert ">Indirect providers</a>" not in provider_page
    reseller_page = client_for(reseller_admin).get(url("customer-list")).text
    assert ">Indirect providers</a>" in reseller_page
    assert ">Indirect resellers</a>" not in reseller_page
    direct_page = client_for(partner_global_admin).get(url("customer-list")).text
    assert "Indirect resellers" not in direct_page
    assert "Indirect providers" not in direct_page


@pytest.mark.parametrize(
    ("page", "sentence"),
    [
        (RESELLERS, "Indirect resellers is a page for indirect providers."),
        (PROVIDERS, "Indirect providers is a page for indirect resellers."),
        (REQUEST, "Request a partnership is a page for indirect providers."),
    ],
)
def test_a_direct_partner_gets_403(client_for, partner_global_admin, page, sentence):
    response = client_for(partner_global_admin).get(page)
    assert response.status_code == 403
    assert sentence in response.text
    assert "Contoso Partners is a direct-bill partner" in response.text


def test_each_side_gets_403_on_the_other_sides_page(client_for, provider_admin, reseller_admin):
    on_reseller_page = client_for(provider_admin).get(PROVIDERS)
    assert on_reseller_page.status_code == 403
    assert (
        "Indirect providers is a page for indirect resellers. Tailspin Distribution is an "
        "indirect provider: its partnerships are under Indirect resellers."
    ) in on_reseller_page.text
    on_provider_page = client_for(reseller_admin).get(RESELLERS)
    assert on_provider_page.status_code == 403
    assert (
        "Indirect resellers is a page for indirect providers. Fabrikam Resellers is an "
        "indirect reseller: its partnerships are under Indirect providers."
    ) in on_provider_page.text


def test_a_direct_partner_has_no_partnerships_to_remove_or_answer(
    client_for, partner_global_admin, partnership
):
    client = client_for(partner_global_admin)
    for response in (
        client.get(remove_url(partnership)),
        client.post(remove_url(partnership)),
        client.post(answer_url(partnership), {"answer": "decline"}),
    ):
        assert response.status_code == 403
        assert "Partnerships are for indirect providers and indirect resellers." in response.text
    partnership.refresh_from_db()
    assert partnership.is_active


def _partnerships_of_both(provider, indirect_reseller, count: int) -> None:
    """`count` partnerships of the provider, and as many of the reseller, in every state (the
    first is active; five have them all)."""
    ended = {"ended_at": timezone.now(), "ended_by_tenant": provider}
    states = [
        {"status": PartnershipStatus.ACTIVE},
        {"status": PartnershipStatus.PENDING},
        {"status": PartnershipStatus.DECLINED},
        {"status": PartnershipStatus.REMOVED, **ended},
        {"status": PartnershipStatus.ACTIVE},
    ]
    for fields in states[:count]:
        PartnershipFactory(provider=provider, **fields)
        PartnershipFactory(reseller=indirect_reseller, **fields)


@pytest.mark.parametrize("count", [1, 5])
def test_the_lists_cost_a_fixed_number_of_queries(
    client_for,
    provider,
    provider_admin,
    indirect_reseller,
    reseller_admin,
    count,
    django_assert_num_queries,
):
    _partnerships_of_both(provider, indirect_reseller, count)
    provider_client, reseller_client = client_for(provider_admin), client_for(reseller_admin)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        resellers_page = provider_client.get(RESELLERS)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        providers_page = reseller_client.get(PROVIDERS)
    shown = len(resellers_page.context["current"]) + len(resellers_page.context["past"])
    assert shown == count
    received = providers_page.context
    assert len(received["requests"]) + len(received["active"]) + len(received["past"]) == count


# --- Accept, decline --------------------------------------------------------------------------


def test_the_resellers_global_admin_accepts(client_for, reseller_admin, pending):
    client = client_for(reseller_admin)
    page = client.get(PROVIDERS)
    assert "Tailspin Distribution" in page.text
    assert 'name="answer" value="accept">Accept' in page.text
    response = client.post(answer_url(pending), {"answer": "accept"}, follow=True)
    assert response.redirect_chain[-1][0] == PROVIDERS
    assert "Tailspin Distribution is now your indirect provider." in response.text
    pending.refresh_from_db()
    assert pending.is_active and pending.answered_by == reseller_admin
    assert audited(AuditAction.PARTNERSHIP_ACCEPTED) == {
        "Tailspin Distribution",
        "Fabrikam Resellers",
    }
    assert "Remove partnership<span" in response.text


def test_the_resellers_global_admin_declines(client_for, reseller_admin, pending):
    response = client_for(reseller_admin).post(
        answer_url(pending), {"answer": "decline"}, follow=True
    )
    assert "You declined Tailspin Distribution&#x27;s request." in response.text
    pending.refresh_from_db()
    assert pending.status == PartnershipStatus.DECLINED
    assert [p.counterpart.name for p in response.context["past"]] == ["Tailspin Distribution"]


def test_a_sales_agent_sees_the_request_but_cannot_answer(client_for, reseller_agent, pending):
    client = client_for(reseller_agent)
    page = client.get(PROVIDERS)
    assert page.status_code == 200
    assert "Tailspin Distribution" in page.text
    assert "Your Global admin accepts or declines these requests." in page.text
    assert ">Accept" not in page.text and ">Decline" not in page.text
    response = client.post(answer_url(pending), {"answer": "accept"})
    assert response.status_code == 403
    assert "Only Global admins can request, accept or remove" in response.text
    pending.refresh_from_db()
    assert pending.is_pending


@pytest.mark.parametrize("posted", [{}, {"answer": ""}, {"answer": "maybe"}])
def test_an_answer_that_is_neither_accept_nor_decline_is_a_400(
    client_for, reseller_admin, pending, posted
):
    response = client_for(reseller_admin).post(answer_url(pending), posted)
    assert response.status_code == 400
    pending.refresh_from_db()
    assert pending.is_pending
    assert not AuditEvent.objects.filter(action=AuditAction.PARTNERSHIP_ACCEPTED).exists()


def test_the_provider_cannot_answer_its_own_request(client_for, provider_admin, pending):
    response = client_for(provider_admin).post(answer_url(pending), {"answer": "accept"})
    assert response.status_code == 403
    assert "Fabrikam Resellers&#x27;s Global admin answers this request" in response.text
    pending.refresh_from_db()
    assert pending.is_pending


def test_an_answered_request_cannot_be_answered_again(client_for, reseller_admin, pending):
    client = client_for(reseller_admin)
    client.post(answer_url(pending), {"answer": "decline"})
    again = client.post(answer_url(pending), {"answer": "accept"}, follow=True)
    assert "This request from Tailspin Distribution was already declined." in again.text
    pending.refresh_from_db()
    assert pending.status == PartnershipStatus.DECLINED


# --- Remove -------------------------------------------------------------------------------


def test_the_provider_removes_the_partnership(
    client_for, provider, provider_admin, indirect_reseller, partnership
):
    customer = CustomerFactory(name="Northwind Traders")
    link = indirect_link(indirect_reseller, customer, provider)
    client = client_for(provider_admin)
    confirm = client.get(remove_url(partnership))
    assert confirm.status_code == 200
    assert "Remove the partnership with Fabrikam Resellers?" in confirm.text
    assert "links to the customers it serves through Tailspin Distribution end (1 customer)" in (
        confirm.text
    )
    assert "Tailspin Distribution stays their reseller" in confirm.text
    assert "Remove partnership</button>" in confirm.text
    response = client.post(remove_url(partnership), follow=True)
    assert response.redirect_chain[-1][0] == RESELLERS
    assert "Fabrikam Resellers is no longer your indirect reseller." in response.text
    partnership.refresh_from_db()
    assert partnership.status == PartnershipStatus.REMOVED
    assert partnership.ended_by_tenant == provider
    link.refresh_from_db()
    assert not link.is_active
    assert (
        ResellerRelationship.objects.active().filter(partner=provider, customer=customer).exists()
    )
    assert audited(AuditAction.PARTNERSHIP_REMOVED) == {
        "Tailspin Distribution",
        "Fabrikam Resellers",
    }
    assert [p.counterpart.name for p in response.context["past"]] == ["Fabrikam Resellers"]
    assert "by Tailspin Distribution" in response.text


def test_the_reseller_removes_the_partnership(
    client_for, indirect_reseller, reseller_admin, partnership
):
    client = client_for(reseller_admin)
    assert (
        "Remove the partnership with Tailspin Distribution?"
        in client.get(remove_url(partnership)).text
    )
    response = client.post(remove_url(partnership), follow=True)
    assert response.redirect_chain[-1][0] == PROVIDERS
    assert "Tailspin Distribution is no longer your indirect provider." in response.text
    partnership.refresh_from_db()
    assert partnership.status == PartnershipStatus.REMOVED
    assert partnership.ended_by_tenant == indirect_reseller


def test_the_provider_withdraws_a_request(client_for, provider_admin, pending):
    client = client_for(provider_admin)
    confirm = client.get(remove_url(pending))
    assert "Withdraw your request to Fabrikam Resellers?" in confirm.text
    assert "Withdraw request</button>" in confirm.text
    response = client.post(remove_url(pending), follow=True)
    assert "Your request to Fabrikam Resellers was withdrawn." in response.text
    pending.refresh_from_db()
    assert pending.status == PartnershipStatus.REMOVED


def test_the_reseller_answers_a_request_rather_than_removing_it(
    client_for, reseller_admin, pending
):
    response = client_for(reseller_admin).post(remove_url(pending), follow=True)
    assert response.redirect_chain[-1][0] == PROVIDERS
    assert "request isn&#x27;t a partnership yet: accept or decline it here." in response.text
    pending.refresh_from_db()
    assert pending.is_pending


def test_removal_is_refused_while_subscriptions_bought_for_the_reseller_are_active(
    client_for, provider, provider_admin, indirect_reseller, reseller_admin, partnership
):
    SubscriptionFactory(partner=provider, indirect_reseller=indirect_reseller)
    reason = (
        "Tailspin Distribution still has 1 active subscription bought on behalf of Fabrikam "
        "Resellers for the customers they share. It must be suspended or moved before the "
        "partnership can be removed."
    )
    for user in (provider_admin, reseller_admin):
        client = client_for(user)
        confirm = client.get(remove_url(partnership))
        assert reason in confirm.text
        assert "Remove partnership</button>" not in confirm.text
        response = client.post(remove_url(partnership), follow=True)
        assert reason in response.text
        partnership.refresh_from_db()
        assert partnership.is_active
    assert not AuditEvent.objects.filter(action=AuditAction.PARTNERSHIP_REMOVED).exists()


def test_an_ended_partnership_has_nothing_to_remove(client_for, provider_admin, partnership):
    client = client_for(provider_admin)
    client.post(remove_url(partnership))
    confirm = client.get(remove_url(partnership))
    assert "There is nothing to remove." in confirm.text
    assert "Remove partnership</button>" not in confirm.text
    again = client.post(remove_url(partnership), follow=True)
    assert "This partnership has already ended." in again.text
    assert AuditEvent.objects.filter(action=AuditAction.PARTNERSHIP_REMOVED).count() == 2


def test_agents_cannot_remove(client_for, provider_agent, reseller_agent, partnership):
    for user in (provider_agent, reseller_agent):
        response = client_for(user).post(remove_url(partnership))
        assert response.status_code == 403
    partnership.refresh_from_db()
    assert partnership.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_partners_partnership_is_a_404(client_for, provider_admin, reseller_admin, method):
    theirs = PartnershipFactory(status=PartnershipStatus.PENDING)
    for user in (provider_admin, reseller_admin):
        client = client_for(user)
        assert getattr(client, method)(remove_url(theirs)).status_code == 404
        assert client.post(answer_url(theirs), {"answer": "accept"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_pending


def test_a_gov_provider_sees_only_gov_resellers(client_for):
    gov = ProviderFactory(name="Tailspin Federal Distribution", cloud=Cloud.USGOV)
    admin = member(gov, Role.GLOBAL_ADMIN)
    IndirectResellerFactory(name="Commercial Reseller")
    IndirectResellerFactory(name="Federal Reseller", cloud=Cloud.USGOV)
    choices = client_for(admin).get(REQUEST).context["form"].fields["listed"].choices
    assert [label.split(" (")[0] for _, label in choices[1:]] == ["Federal Reseller"]


def test_csrf_is_enforced(csrf_client, reseller_admin, pending):
    client = csrf_client(reseller_admin)
    assert client.post(answer_url(pending), {"answer": "accept"}).status_code == 403
    pending.refresh_from_db()
    assert pending.is_pending
