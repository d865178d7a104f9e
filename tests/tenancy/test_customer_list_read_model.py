"""The Customer list's read model follows every service that changes a relationship, and the
rebuild from the relationship tables gives the same rows."""

import contextlib
import random

import pytest
from django.core.management import CommandError, call_command

from tenancy import services
from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.models import (
    ADMIN_FOREVER,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AdminRelationship,
    Cloud,
    Country,
    CustomerListCount,
    CustomerListRow,
    CustomerListVersion,
    CustomerState,
    Offer,
    Role,
    Subscription,
    SubscriptionStatus,
)
from tests.factories import CustomerFactory, PartnerFactory, member

pytestmark = pytest.mark.django_db

SIGNER = services.Signer("Nancy", "Davolio", "nancy@northwind.example")


def snapshot() -> list[tuple]:
    """The rows, and the counters beside them (which must agree with the rows)."""
    counts = sorted(
        (partner, state, n)
        for partner, state, n in CustomerListCount.objects.values_list(
            "partner_id", "state", "count"
        )
        if n
    )
    return counts + sorted(
        CustomerListRow.objects.values_list(
            "partner_id",
            "customer_id",
            "customer_name",
            "customer_domain",
            "country_id",
            "state",
            "since",
            "ended_at",
            "admin_until",
        )
    )


def state_of(partner, customer) -> str | None:
    row = CustomerListRow.objects.filter(partner=partner, customer=customer).first()
    return row.state if row else None


def accept(partner, agent, admin, *, include_admin):
    invitation = services.invitation_create(
        partner=partner, created_by=agent, include_admin=include_admin
    )
    return services.invitation_accept(
        invitation_id=invitation.pk,
        user=admin,
        signer=SIGNER,
        client_ip=None,
        portal_cloud=Cloud.PUBLIC,
    )


class TestEachService:
    def test_accepting_a_request_lists_the_customer_with_its_admin_roles(
        self, partner_a, sales_agent, customer, customer_admin
    ):
        accept(partner_a, sales_agent, customer_admin, include_admin=True)
        row = CustomerListRow.objects.get()
        assert (row.partner, row.customer, row.state) == (
            partner_a,
            customer,
            CustomerState.RESELLER,
        )
        assert (row.customer_name, row.customer_domain) == (customer.name, customer.domain)
        # The default admin relationship extends itself: it never lapses.
        assert row.has_admin and row.admin_until == ADMIN_FOREVER

    def test_a_reseller_only_request_lists_a_reseller(
        self, partner_a, sales_agent, customer, customer_admin
    ):
        accept(partner_a, sales_agent, customer_admin, include_admin=False)
        assert state_of(partner_a, customer) == CustomerState.RESELLER

    def test_removing_admin_roles_leaves_a_reseller(
        self, partner_a, sales_agent, customer, customer_admin
    ):
        accept(partner_a, sales_agent, customer_admin, include_admin=True)
        services.admin_relationship_terminate(
            relationship=AdminRelationship.objects.get(),
            terminated_by=customer_admin,
            by=customer,
        )
        assert state_of(partner_a, customer) == CustomerState.RESELLER
        assert CustomerListRow.objects.get().admin_until is None

    def test_an_approved_admin_relationship_alone_lists_the_customer(
        self, partner_a, customer, customer_admin
    ):
        agent = member(partner_a, Role.ADMIN_AGENT)
        relationship = services.admin_relationship_create(
            partner=partner_a,
            created_by=agent,
            request=services.AdminRequest("Helpdesk", 90, [HELPDESK_ADMINISTRATOR]),
            finalize=True,
        )
        assert state_of(partner_a, customer) is None  # nobody approved it yet
        services.admin_relationship_approve(
            relationship_id=relationship.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
        )
        row = CustomerListRow.objects.get()
        relationship.refresh_from_db()
        assert (row.state, row.since) == (CustomerState.ADMIN_ONLY, relationship.approved_at)
        assert row.admin_until == relationship.ends_at
        services.admin_relationship_terminate(
            relationship=relationship, terminated_by=agent, by=partner_a
        )
        row.refresh_from_db()
        assert (row.state, row.admin_until) == (CustomerState.ADMIN_ONLY, None)

    def test_ending_the_reseller_relationship_lists_it_as_ended(
        self, partner_a, sales_agent, customer, customer_admin, partner_global_admin
    ):
        accept(partner_a, sales_agent, customer_admin, include_admin=False)
        services.reseller_relationship_end(
            partner=partner_a, customer=customer, ended_by=partner_global_admin, by=partner_a
        )
        row = CustomerListRow.objects.get()
        assert row.state == CustomerState.ENDED and row.ended_at is not None

    def test_coming_back_after_an_end_is_one_row_again_active(
        self, partner_a, sales_agent, customer, customer_admin, partner_global_admin
    ):
        accept(partner_a, sales_agent, customer_admin, include_admin=False)
        services.reseller_relationship_end(
            partner=partner_a, customer=customer, ended_by=partner_global_admin, by=partner_a
        )
        accept(partner_a, sales_agent, customer_admin, include_admin=False)
        row = CustomerListRow.objects.get()
        assert row.state == CustomerState.RESELLER and row.ended_at is None

    def test_adding_a_customer_lists_it(self, partner_a, sales_agent):
        added = services.customer_add(
            partner=partner_a,
            added_by=sales_agent,
            details=services.CustomerDetails(
                name="Fourth Coffee",
                domain_prefix="fourthcoffee",
                country=Country.objects.get(code="US"),
                profile={"address_line1": "1 Main Street", "city": "Seattle"},
            ),
            attestation=None,
        )
        assert state_of(partner_a, added.customer) == CustomerState.RESELLER

    def test_a_refused_change_changes_nothing(
        self, partner_a, sales_agent, customer, customer_admin, partner_global_admin
    ):
        accept(partner_a, sales_agent, customer_admin, include_admin=False)
        services.agreement_accept(
            customer=customer, user=customer_admin, signer=SIGNER, client_ip=None
        )
        services.subscription_purchase(
            partner=partner_a,
            customer=customer,
            offer=Offer.objects.get(code="microsoft-365-e3"),
            quantity=3,
            purchased_by=sales_agent,
        )
        before = snapshot()
        with pytest.raises(services.ServiceError):
            services.reseller_relationship_end(
                partner=partner_a, customer=customer, ended_by=partner_global_admin, by=partner_a
            )
        assert snapshot() == before


def list_versions() -> dict:
    return dict(CustomerListVersion.objects.values_list("partner_id", "version"))


def of(partner, rows: list[tuple]) -> list[tuple]:
    return [row for row in rows if row[0] == partner.pk]


def test_the_rebuild_equals_what_the_services_kept_after_random_actions():
    """Two partners, a dozen customers, 120 random actions through the services (requests with
    and without admin roles, Add customer, purchases, suspensions, ends by either side, admin
    relationships approved and terminated by either side): the incremental read model equals
    the one rebuilt from the tables."""
    rng = random.Random(20261126)
    us = Country.objects.get(code="US")
    partners = [PartnerFactory(country=us) for _ in range(2)]
    agents = {p.pk: member(p, Role.SALES_AGENT, Role.ADMIN_AGENT) for p in partners}
    admins = {p.pk: member(p, Role.GLOBAL_ADMIN) for p in partners}
    customers = [CustomerFactory(country=us) for _ in range(10)]
    customer_admins = {c.pk: member(c, Role.CUSTOMER_GLOBAL_ADMIN) for c in customers}
    offer = Offer.objects.get(code="microsoft-365-e3")

    def request(partner, customer):
        # Refused when already this partner's customer: then nothing changes.
        with contextlib.suppress(services.ServiceError):
            accept(
                partner,
                agents[partner.pk],
                customer_admins[customer.pk],
                include_admin=rng.random() < 0.5,
            )

    def add(partner, customer):
        added = services.customer_add(
            partner=partner,
            added_by=agents[partner.pk],
            details=services.CustomerDetails(
                name=f"Added {rng.randrange(10**6)}",
                domain_prefix=f"added{rng.randrange(10**9)}",
                country=us,
                profile={"address_line1": "1 Main Street", "city": "Seattle"},
            ),
            attestation=None,
        )
        customers.append(added.customer)
        customer_admins[added.customer.pk] = member(added.customer, Role.CUSTOMER_GLOBAL_ADMIN)

    def buy(partner, customer):
        if not customer.has_current_agreement():
            services.agreement_accept(
                customer=customer, user=customer_admins[customer.pk], signer=SIGNER, client_ip=None
            )
        services.subscription_purchase(
            partner=partner,
            customer=customer,
            offer=offer,
            quantity=2,
            purchased_by=agents[partner.pk],
        )

    def suspend_all(partner, customer):
        for subscription in Subscription.objects.active().filter(
            partner=partner, customer=customer
        ):
            services.subscription_update(
                subscription=subscription,
                membership=agents[partner.pk].membership,
                status=SubscriptionStatus.SUSPENDED,
            )

    def end_by_partner(partner, customer):
        services.reseller_relationship_end(
            partner=partner, customer=customer, ended_by=admins[partner.pk], by=partner
        )

    def end_by_customer(partner, customer):
        services.reseller_relationship_end(
            partner=partner, customer=customer, ended_by=customer_admins[customer.pk], by=customer
        )

    def request_admin(partner, customer):
        relationship = services.admin_relationship_create(
            partner=partner,
            created_by=agents[partner.pk],
            request=services.AdminRequest(
                f"Support {rng.randrange(10**9)}",
                rng.choice([1, 90, 730]),
                [LICENSE_ADMINISTRATOR],
                auto_extend=rng.random() < 0.3,
            ),
            finalize=True,
        )
        services.admin_relationship_approve(
            relationship_id=relationship.pk,
            user=customer_admins[customer.pk],
            portal_cloud=Cloud.PUBLIC,
        )

    def terminate(partner, customer, *, by_customer: bool):
        relationship = (
            AdminRelationship.objects.in_force().filter(partner=partner, customer=customer).first()
        )
        if relationship is None:
            raise services.ServiceError("No admin relationship to terminate.")
        services.admin_relationship_terminate(
            relationship=relationship,
            terminated_by=customer_admins[customer.pk] if by_customer else agents[partner.pk],
            by=customer if by_customer else partner,
        )

    def remove_roles(partner, customer):
        terminate(partner, customer, by_customer=True)

    def terminate_by_partner(partner, customer):
        terminate(partner, customer, by_customer=False)

    actions = [request, request, request, add, buy, suspend_all, end_by_partner, end_by_customer]
    actions += [request_admin, request_admin, remove_roles, terminate_by_partner]
    done = 0
    for _ in range(160):
        action = rng.choice(actions)
        before, versions = snapshot(), list_versions()
        try:
            action(rng.choice(partners), rng.choice(customers))
            done += 1
        except services.ServiceError:
            pass  # refused (nothing to end, subscriptions running...): nothing changed
        # Each partner whose list changed counts a new version (a page kept under the old one
        # is never shown again, tenancy.web.fragments).
        after, counted = snapshot(), list_versions()
        for partner in partners:
            if of(partner, before) != of(partner, after):
                assert counted.get(partner.pk, 0) > versions.get(partner.pk, 0), action.__name__
    assert done > 40, "enough of the actions went through to mean something"
    states = set(CustomerListRow.objects.values_list("state", flat=True))
    assert states == {"reseller", "admin_only", "ended"}, "every state was reached"
    assert CustomerListRow.objects.filter(admin_until__isnull=False).exists()
    assert CustomerListRow.objects.filter(admin_until=ADMIN_FOREVER).exists()

    incremental = snapshot()
    customer_list_rebuild()
    assert snapshot() == incremental
    assert CustomerListRow.objects.count() > 5
    for partner in partners:
        for state in CustomerState.values:
            counted = CustomerListRow.objects.filter(partner=partner, state=state).count()
            kept = CustomerListCount.objects.filter(partner=partner, state=state).first()
            assert (kept.count if kept else 0) == counted


def test_the_command_rebuilds_a_list_that_was_damaged(
    partner_a, sales_agent, customer_admin, capsys
):
    accept(partner_a, sales_agent, customer_admin, include_admin=True)
    good = snapshot()
    CustomerListRow.objects.update(state=CustomerState.ENDED, customer_name="wrong")
    call_command("rebuild_customer_list")
    assert snapshot() == good
    assert "Customer list rebuilt: 1 row." in capsys.readouterr().out


@pytest.mark.parametrize("partner", ["customer", "not-an-id"])
def test_the_command_refuses_what_is_not_a_partner(customer, partner):
    with pytest.raises(CommandError, match="No partner"):
        call_command(
            "rebuild_customer_list", partner=str(customer.pk) if partner == "customer" else partner
        )


@pytest.mark.postgres
def test_postgresql_has_trigram_indexes_for_the_contains_search():
    """On the expression Django's icontains compares, UPPER(column::text), so they serve it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tenancy_customerlistrow'"
        )
        indexes = dict(cursor.fetchall())
    for name, column in [
        ("cl_name_trgm_idx", "customer_name"),
        ("cl_domain_trgm_idx", "customer_domain"),
    ]:
        assert "USING gin" in indexes[name]
        assert f"upper(({column})::text) gin_trgm_ops" in indexes[name]
