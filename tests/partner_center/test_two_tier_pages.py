"""Two tiers in Partner Center's Customers workspace: the reseller's New relationship naming its
provider, each side's Customer list, the customer page, purchase on behalf, Add customer."""

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from tenancy.models import (
    AuditEvent,
    Invitation,
    PartnershipStatus,
    ResellerRelationship,
    Subscription,
)
from tests.factories import (
    AgreementAcceptanceFactory,
    CustomerFactory,
    IndirectResellerFactory,
    PartnershipFactory,
    ProviderFactory,
    ResellerRelationshipFactory,
    SubscriptionFactory,
    indirect_link,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, offer, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def reseller(indirect_reseller):
    """Here, the indirect reseller (this package's conftest names a relationship so)."""
    return indirect_reseller


def text(response) -> str:
    return response.content.decode()


class TestNewRelationship:
    def test_the_reseller_names_its_provider_and_the_link_carries_it(
        self, client_for, reseller_agent, reseller, provider, partnership
    ):
        client = client_for(reseller_agent)
        page = client.get(url("new-relationship"))
        assert "Indirect provider" in text(page)
        assert provider.name in text(page)
        response = client.post(
            url("new-relationship"), {"indirect_provider": provider.pk, "label": "Adatum"}
        )
        invitation = Invitation.objects.get()
        assert response.status_code == 302
        assert invitation.indirect_provider == provider
        detail = text(client.get(url("request-detail", invitation.pk)))
        assert "invType=IndirectResellerRelationship" in detail
        assert f"indirectCSPId={provider.pk}" in detail
        assert f"{provider.name} (PartnerID {provider.mpn_id})" in detail

    def test_with_several_providers_one_must_be_chosen(
        self, client_for, reseller_agent, reseller, partnership
    ):
        PartnershipFactory(provider=ProviderFactory(), reseller=reseller)
        response = client_for(reseller_agent).post(url("new-relationship"), {"label": "Adatum"})
        assert response.status_code == 400
        assert "Choose the indirect provider this customer will buy through." in text(response)
        assert not Invitation.objects.exists()

    def test_a_forged_provider_is_refused_and_nothing_is_made(
        self, client_for, reseller_agent, reseller, partnership
    ):
        stranger = ProviderFactory(name="Wide World Distribution")
        PartnershipFactory(
            provider=stranger,
            reseller=reseller,
            status=PartnershipStatus.REMOVED,
            ended_at=partnership.requested_at,
        )
        for forged in (stranger.pk, "not-an-id", CustomerFactory().pk):
            response = client_for(reseller_agent).post(
                url("new-relationship"), {"indirect_provider": forged}
            )
            assert response.status_code == 400
            assert "Choose one of your indirect providers" in text(response)
        assert not Invitation.objects.exists()
        assert not AuditEvent.objects.filter(action="invitation.created").exists()

    def test_a_reseller_without_a_provider_is_told_how_to_get_one(self, client_for, reseller_agent):
        page = client_for(reseller_agent).get(url("new-relationship"))
        assert "You have no indirect provider yet." in text(page)
        assert "Create request" not in text(page)

    def test_a_direct_partner_sees_no_provider_field(self, client_for, sales_agent):
        assert "Indirect provider" not in text(client_for(sales_agent).get(url("new-relationship")))


@pytest.fixture
def book(provider, reseller, partnership):
    """Three customers of the provider: two through the reseller, one its own."""
    shared = [CustomerFactory(name=f"Shared {n}") for n in (1, 2)]
    for customer in shared:
        indirect_link(reseller, customer, provider)
    own = CustomerFactory(name="Direct Only")
    indirect_link(
        IndirectResellerFactory(name="Elsewhere"),
        CustomerFactory(name="Not ours"),
        ProviderFactory(),
    )
    ResellerRelationshipFactory(partner=provider, customer=own)
    return shared, own


class TestCustomerLists:
    def test_the_provider_sees_the_indirect_reseller_column_and_filters_by_it(
        self, client_for, provider_agent, reseller, book
    ):
        client = client_for(provider_agent)
        page = text(client.get(url("customer-list")))
        assert '<th scope="col">Indirect reseller</th>' in page
        assert page.count(reseller.name) >= 3  # two rows and the filter's option
        filtered = text(client.get(url("customer-list"), {"indirect": reseller.pk}))
        assert "Shared 1" in filtered and "Shared 2" in filtered
        assert "Direct Only" not in filtered
        assert "Not ours" not in filtered

    def test_the_reseller_sees_its_customers_under_the_provider(
        self, client_for, reseller_agent, provider, book
    ):
        client = client_for(reseller_agent)
        page = text(client.get(url("customer-list")))
        assert '<th scope="col">Indirect provider</th>' in page
        assert "Shared 1" in page and "Direct Only" not in page
        second = ProviderFactory(name="Wide World Distribution")
        PartnershipFactory(provider=second, reseller=reseller_agent.membership.tenant)
        indirect_link(reseller_agent.membership.tenant, CustomerFactory(name="Via Wide"), second)
        filtered = text(client.get(url("customer-list"), {"indirect": provider.pk}))
        assert "Shared 1" in filtered and "Via Wide" not in filtered

    def test_the_reseller_s_list_names_the_relationship_as_its_customer_page_does(
        self, client_for, reseller_agent, book
    ):
        client = client_for(reseller_agent)
        listed = client.get(url("customer-list"))
        # Both of its customers, under the words their pages use for the same relationship.
        assertContains(listed, "<td>Indirect reseller</td>", count=2, html=True)
        assertNotContains(listed, "<td>Reseller</td>", html=True)
        shared = book[0][0]
        assertContains(
            client.get(url("customer-detail", shared.pk)), "<dt>Indirect reseller</dt>", html=True
        )

    def test_the_reseller_s_relationship_filter_uses_the_same_words(
        self, client_for, reseller_agent, book
    ):
        listed = client_for(reseller_agent).get(url("customer-list"))
        assertContains(listed, '<option value="reseller">Indirect reseller</option>', html=True)
        filtered = client_for(reseller_agent).get(
            url("customer-list"), {"relationship": "reseller"}
        )
        assertContains(filtered, "<td>Indirect reseller</td>", count=2, html=True)

    def test_a_direct_partner_s_list_still_says_reseller(self, client_for, sales_agent, partner_a):
        ResellerRelationshipFactory(partner=partner_a, customer=CustomerFactory())
        listed = client_for(sales_agent).get(url("customer-list"))
        assertContains(listed, "<td>Reseller</td>", count=1, html=True)
        assertContains(listed, '<option value="reseller">Reseller</option>', html=True)

    def test_the_reseller_s_export_uses_the_same_words(self, client_for, reseller_agent, book):
        response = client_for(reseller_agent).get(url("customer-export"))
        lines = b"".join(response.streaming_content).decode().splitlines()
        shared = [line for line in lines if line.startswith("Shared ")]
        assert len(shared) == 2
        assert all(",Indirect reseller," in line for line in shared)

    def test_a_filter_naming_someone_else_is_ignored_with_a_note(
        self, client_for, provider_agent, book
    ):
        response = client_for(provider_agent).get(
            url("customer-list"), {"indirect": IndirectResellerFactory().pk}
        )
        assert response.status_code == 200
        assert "understood and were ignored" in text(response)

    def test_the_export_has_the_indirect_column(self, client_for, provider_agent, reseller, book):
        response = client_for(provider_agent).get(url("customer-export"))
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines[0].endswith("Indirect reseller")
        assert any(line.startswith("Shared 1,") and line.endswith(reseller.name) for line in lines)

    def test_the_lists_cost_the_same_queries_whatever_their_size(
        self,
        client_for,
        provider_agent,
        reseller_agent,
        provider,
        reseller,
        book,
        django_assert_num_queries,
    ):
        provider_client, reseller_client = client_for(provider_agent), client_for(reseller_agent)
        # The session, the user and the membership; the filter's choices, the count, the page;
        # for the provider, the page's indirect resellers.
        with django_assert_num_queries(SIGNED_IN_QUERIES + 4):
            provider_client.get(url("customer-list"))
        with django_assert_num_queries(SIGNED_IN_QUERIES + 3):
            reseller_client.get(url("customer-list"))
        for n in range(10):
            extra = IndirectResellerFactory()
            PartnershipFactory(provider=provider, reseller=extra)
            indirect_link(extra, CustomerFactory(name=f"More {n}"), provider)
            indirect_link(reseller, CustomerFactory(name=f"Also {n}"), provider)
        with django_assert_num_queries(SIGNED_IN_QUERIES + 4):
            provider_client.get(url("customer-list"))
        with django_assert_num_queries(SIGNED_IN_QUERIES + 3):
            reseller_client.get(url("customer-list"))


class TestCustomerPageAndPurchase:
    @pytest.fixture
    def shared(self, book):
        customer = book[0][0]
        AgreementAcceptanceFactory(customer=customer)
        return customer

    def test_the_provider_buys_on_behalf_of_the_reseller(
        self, client_for, provider_agent, provider, reseller, shared
    ):
        client = client_for(provider_agent)
        page = text(client.get(url("customer-detail", shared.pk)))
        assert "Reseller of record" in page
        assert "On behalf of" in page
        response = client.post(
            url("purchase", shared.pk),
            {
                "indirect_reseller": reseller.pk,
                "offer": "microsoft-365-business-basic",
                "quantity": 3,
            },
        )
        assert response.status_code == 302
        subscription = Subscription.objects.get()
        assert (subscription.partner, subscription.indirect_reseller) == (provider, reseller)
        page = text(client.get(url("customer-detail", shared.pk)))
        assert f"<td>{reseller.name}</td>" in page

    def test_a_reseller_not_serving_the_customer_cannot_be_named(
        self, client_for, provider_agent, provider, shared
    ):
        other = IndirectResellerFactory()
        PartnershipFactory(provider=provider, reseller=other)
        response = client_for(provider_agent).post(
            url("purchase", shared.pk),
            {"indirect_reseller": other.pk, "offer": "microsoft-365-business-basic", "quantity": 3},
        )
        assert response.status_code == 400
        assert "Choose an indirect reseller that serves this customer through you." in text(
            response
        )
        assert not Subscription.objects.exists()

    def test_the_reseller_sees_the_sale_but_cannot_buy_or_manage_without_admin_roles(
        self, client_for, reseller_agent, provider, reseller, shared
    ):
        SubscriptionFactory(
            partner=provider,
            customer=shared,
            indirect_reseller=reseller,
            offer=offer("microsoft-365-business-basic"),
        )
        page = text(client_for(reseller_agent).get(url("customer-detail", shared.pk)))
        assert "Microsoft 365 Business Basic" in page
        assert f"<td>{provider.name}</td>" in page  # bought by
        assert "purchases on your behalf" in page
        assert "no admin relationship in force" in page
        response = client_for(reseller_agent).post(
            url("purchase", shared.pk),
            {"offer": "microsoft-365-business-basic", "quantity": 1},
        )
        assert response.status_code == 302
        assert Subscription.objects.count() == 1

    def test_another_providers_customer_is_a_404(self, client_for, provider_agent, book):
        stranger = ResellerRelationship.objects.filter(customer__name="Not ours").first().customer
        assert (
            client_for(provider_agent).get(url("customer-detail", stranger.pk)).status_code == 404
        )


class TestAddCustomer:
    FORM = {
        "name": "Adventure Works",
        "domain_prefix": "adventureworks",
        "country": "US",
        "address_line1": "1 Main St",
        "city": "Seattle",
        "contact_first_name": "Ada",
        "contact_last_name": "Lovelace",
        "contact_email": "ada@adventure-works.example",
        "agreement": "later",
    }

    def test_a_provider_adds_a_customer_for_its_reseller(
        self, client_for, provider_agent, provider, reseller, partnership
    ):
        response = client_for(provider_agent).post(
            url("add-customer"), {**self.FORM, "indirect_reseller": reseller.pk}
        )
        assert response.status_code == 200, text(response)
        link = ResellerRelationship.objects.get(partner=reseller)
        assert link.indirect_provider == provider
        assert link.customer.name == "Adventure Works"

    def test_a_reseller_it_does_not_partner_with_is_refused(
        self, client_for, provider_agent, partnership
    ):
        response = client_for(provider_agent).post(
            url("add-customer"), {**self.FORM, "indirect_reseller": IndirectResellerFactory().pk}
        )
        assert response.status_code == 400
        assert "Choose one of your indirect resellers." in text(response)
        assert not ResellerRelationship.objects.exists()
