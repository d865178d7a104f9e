"""Keeping the Customer list's read model (CustomerListRow) equal to the relationship tables.

Every service that starts or ends a reseller or admin relationship calls
`customer_list_refresh` for the pair inside its own transaction, after its writes; the rebuild
recomputes every row from the relationship tables (`manage.py rebuild_customer_list`).
"""

from django.db import transaction

from tenancy.models import (
    AdminRelationship,
    CustomerListRow,
    CustomerState,
    ResellerRelationship,
    Tenant,
)

_UPDATED = ["customer_name", "customer_domain", "country", "state", "since", "ended_at"]


def _row(partner_id, customer: Tenant, latest: ResellerRelationship, has_admin: bool):
    if latest.ended_at is not None:
        state = CustomerState.ENDED
    else:
        state = CustomerState.ADMIN if has_admin else CustomerState.RESELLER
    return CustomerListRow(
        partner_id=partner_id,
        customer_id=customer.pk,
        customer_name=customer.name,
        customer_domain=customer.domain,
        country_id=customer.country_id,
        state=state,
        since=latest.created_at,
        ended_at=latest.ended_at,
    )


def customer_list_refresh(*, partner: Tenant, customer: Tenant) -> None:
    """Recompute the pair's row. Call it inside the transaction that changed the pair."""
    with transaction.atomic():
        # Every refresh of a customer's rows takes the customer's row lock first, then reads:
        # two transactions changing one pair at once write the row one after the other, and
        # the later one reads what the earlier committed, so the last write is never stale.
        customer = Tenant.objects.select_for_update().get(pk=customer.pk)
        latest = (
            ResellerRelationship.objects.between(partner, customer)
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is None:
            CustomerListRow.objects.filter(partner=partner, customer=customer).delete()
            return
        has_admin = AdminRelationship.objects.active().between(partner, customer).exists()
        CustomerListRow.objects.bulk_create(
            [_row(partner.pk, customer, latest, has_admin)],
            update_conflicts=True,
            unique_fields=["partner", "customer"],
            update_fields=_UPDATED,
        )


def customer_list_rebuild(*, partner: Tenant | None = None, batch: int = 2000) -> int:
    """Recompute every row (of one partner, or of all) from the relationship tables; returns
    how many rows the list now has."""
    partners = [partner] if partner else Tenant.objects.partners().order_by("pk")
    written = 0
    for one in partners:
        with transaction.atomic():
            CustomerListRow.objects.filter(partner=one).delete()
            rows = (
                ResellerRelationship.objects.customer_list(one)
                .select_related("customer")
                .order_by("pk")
                .iterator(chunk_size=batch)
            )
            chunk = []
            for latest in rows:
                chunk.append(_row(one.pk, latest.customer, latest, latest.has_admin_relationship))
                if len(chunk) == batch:
                    CustomerListRow.objects.bulk_create(chunk)
                    written += len(chunk)
                    chunk = []
            CustomerListRow.objects.bulk_create(chunk)
            written += len(chunk)
    return written
