"""Changes to one partner's Customer list at the same moment each count a version (PostgreSQL:
the version's row lock puts them one after the other; none is lost, none waits forever)."""

import pytest
from django.db import transaction

from tenancy.effects.customer_list import customer_list_refresh, customer_list_rename
from tenancy.models import CustomerListRow, CustomerListVersion, ResellerRelationship
from tests.factories import CustomerFactory, PartnerFactory
from tests.threads import at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def version_of(partner) -> int:
    return CustomerListVersion.objects.get(partner=partner).version


def test_refreshes_and_a_rename_at_once_each_count_a_version():
    partner, other = PartnerFactory(), PartnerFactory()
    customers = [CustomerFactory() for _ in range(3)]
    for customer in customers:
        ResellerRelationship.objects.create(partner=partner, customer=customer)
    ResellerRelationship.objects.create(partner=other, customer=customers[0])
    for customer in customers:
        customer_list_refresh(partner=partner, customer=customer)
    customer_list_refresh(partner=other, customer=customers[0])
    before = version_of(partner), version_of(other)

    def refresh(customer):
        def call():
            with transaction.atomic():
                customer_list_refresh(partner=partner, customer=customer)

        return call

    def rename():
        with transaction.atomic():
            customers[0].name = "Renamed at once"
            customers[0].save()
            customer_list_rename(customers[0])

    results = at_once(refresh(customers[1]), refresh(customers[2]), rename)
    assert results == [None, None, None]
    # Two refreshes and the rename for the partner; the rename for the other partner.
    assert (version_of(partner), version_of(other)) == (before[0] + 3, before[1] + 1)
    assert CustomerListRow.objects.filter(customer_name="Renamed at once").count() == 2
