from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenancy import selectors
from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.models import (
    AuditEvent,
    Country,
    CustomerListRow,
    CustomerState,
    Market,
    ResellerRelationship,
    TenantKind,
    validate_tenant_domain,
)
from tests.factories import (
    AdminRelationshipFactory,
    AuditEventFactory,
    CustomerFactory,
    PartnerFactory,
    ResellerRelationshipFactory,
)

pytestmark = pytest.mark.django_db


class TestOneActiveResellerRelationship:
    def test_a_second_active_relationship_for_the_pair_is_refused_by_the_database(self):
        first = ResellerRelationshipFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            ResellerRelationship.objects.create(
                partner=first.partner, customer=first.customer, formed_by="invitation"
            )
        assert ResellerRelationship.objects.active().count() == 1

    def test_a_bulk_insert_cannot_sneak_one_in_either(self):
        first = ResellerRelationshipFactory()
        duplicate = ResellerRelationship(
            partner=first.partner, customer=first.customer, formed_by="invitation"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            ResellerRelationship.objects.bulk_create([duplicate])

    def test_the_pair_may_start_again_once_the_old_one_ended(self):
        first = ResellerRelationshipFactory(ended_at=timezone.now())
        again = ResellerRelationship.objects.create(
            partner=first.partner, customer=first.customer, formed_by="invitation"
        )
        assert again.is_active
        assert ResellerRelationship.objects.between(first.partner, first.customer).count() == 2

    def test_a_customer_may_have_several_resellers(self):
        customer = CustomerFactory()
        ResellerRelationshipFactory(customer=customer)
        ResellerRelationshipFactory(customer=customer)
        assert ResellerRelationship.objects.active().filter(customer=customer).count() == 2

    def test_a_tenant_cannot_resell_to_itself(self):
        partner = PartnerFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            ResellerRelationship.objects.create(partner=partner, customer=partner, formed_by="x")


def test_an_admin_relationship_name_is_unique_per_partner_whatever_its_case():
    first = AdminRelationshipFactory(name="Helpdesk")
    AdminRelationshipFactory(name="Helpdesk")  # another partner's
    with pytest.raises(IntegrityError), transaction.atomic():
        AdminRelationshipFactory(partner=first.partner, name="HELPDESK")


@pytest.mark.parametrize("days", [0, 731])
def test_an_admin_relationship_lasts_1_to_730_days(days):
    with pytest.raises(IntegrityError), transaction.atomic():
        AdminRelationshipFactory(duration_days=days)


class TestTenant:
    def test_a_domain_is_unique(self):
        CustomerFactory(domain="fabrikam.onmicrosoft.com")
        with pytest.raises(IntegrityError), transaction.atomic():
            CustomerFactory(domain="fabrikam.onmicrosoft.com")

    @pytest.mark.parametrize(
        "domain",
        [
            "fabrikam.com",
            "-fabrikam.onmicrosoft.com",
            "fabrikam-.onmicrosoft.com",
            "Fabrikam.onmicrosoft.com",
            "fab rikam.onmicrosoft.com",
            "fabrikam.eu.onmicrosoft.com",
            f"{'a' * 64}.onmicrosoft.com",
            "fäbrikam.onmicrosoft.com",
            ".onmicrosoft.com",
        ],
    )
    def test_a_domain_prefix_must_be_one_dns_label(self, domain):
        with pytest.raises(ValidationError):
            validate_tenant_domain(domain)

    @pytest.mark.parametrize("domain", ["a.onmicrosoft.com", "fabrikam-2.onmicrosoft.com"])
    def test_good_domains_pass(self, domain):
        validate_tenant_domain(domain)

    def test_a_partner_needs_a_partner_id(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            PartnerFactory(mpn_id=None)

    def test_a_customer_has_no_partner_id(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            CustomerFactory(mpn_id=1234567)

    def test_the_microsoft_id_is_a_uuid(self):
        tenant = CustomerFactory()
        assert len(str(tenant.id)) == 36
        assert tenant.kind == TenantKind.CUSTOMER

    def test_customers_of_lists_each_customer_once(self):
        partner = PartnerFactory()
        ended_then_back = CustomerFactory()
        ResellerRelationshipFactory(
            partner=partner, customer=ended_then_back, ended_at=timezone.now()
        )
        ResellerRelationshipFactory(partner=partner, customer=ended_then_back)
        gone = CustomerFactory()
        ResellerRelationshipFactory(partner=partner, customer=gone, ended_at=timezone.now())
        ResellerRelationshipFactory(customer=CustomerFactory())  # another partner's
        assert set(selectors.customers_of(partner)) == {ended_then_back, gone}


class TestCustomerList:
    def test_each_customer_once_with_its_latest_relationship(self):
        partner = PartnerFactory()
        now = timezone.now()
        ended_then_back = CustomerFactory()
        old = ResellerRelationshipFactory(
            partner=partner,
            customer=ended_then_back,
            created_at=now - timedelta(days=9),
            ended_at=now - timedelta(days=5),
        )
        current = ResellerRelationshipFactory(
            partner=partner, customer=ended_then_back, created_at=now - timedelta(days=1)
        )
        AdminRelationshipFactory(partner=partner, customer=ended_then_back)
        gone = CustomerFactory()
        first_end = ResellerRelationshipFactory(
            partner=partner,
            customer=gone,
            created_at=now - timedelta(days=50),
            ended_at=now - timedelta(days=40),
        )
        last_end = ResellerRelationshipFactory(
            partner=partner, customer=gone, created_at=now - timedelta(days=20), ended_at=now
        )
        ResellerRelationshipFactory(customer=CustomerFactory())  # another partner's
        customer_list_rebuild(partner=partner)
        rows = {row.customer_id: row for row in CustomerListRow.objects.filter(partner=partner)}
        assert set(rows) == {ended_then_back.pk, gone.pk}
        assert rows[ended_then_back.pk].since == current.created_at != old.created_at
        assert rows[ended_then_back.pk].state == CustomerState.RESELLER
        assert rows[ended_then_back.pk].has_admin
        assert rows[gone.pk].since == last_end.created_at != first_end.created_at
        assert rows[gone.pk].ended_at == last_end.ended_at
        assert rows[gone.pk].state == CustomerState.ENDED


class TestAuditEvents:
    def test_they_cannot_be_changed(self):
        event = AuditEventFactory()
        event.details = {"changed": True}
        with pytest.raises(TypeError):
            event.save()

    def test_they_cannot_be_deleted_one_by_one_or_in_bulk(self):
        event = AuditEventFactory()
        with pytest.raises(TypeError):
            event.delete()
        with pytest.raises(TypeError):
            AuditEvent.objects.all().delete()
        with pytest.raises(TypeError):
            AuditEvent.objects.update(details={})
        assert AuditEvent.objects.count() == 1


def test_the_market_table_is_loaded_from_the_projects_csv():
    import csv

    from tenancy.reference_data import MARKETS_CSV

    with MARKETS_CSV.open(newline="", encoding="utf-8") as rows:
        expected = {row["country_code"]: row["market_code"] for row in csv.DictReader(rows)}
    assert dict(Country.objects.values_list("code", "market_id")) == expected
    assert Market.objects.get(code="LATAM").countries.filter(code="PR").exists()
    for single in ["BR", "CN", "IN", "JP", "KR", "TW"]:
        assert Country.objects.filter(market__code=single).count() == 1


def test_the_reference_factories_find_the_migrated_rows():
    from tests.factories import CountryFactory, OfferFactory

    assert CountryFactory(code="FR").market_id == "EU"
    assert OfferFactory(code="azure-plan").is_azure
    assert not OfferFactory().is_azure
