"""Keeping the Customer list's read model (CustomerListRow) equal to the relationship tables.

The record table (tenancy.effects.record) refreshes the pair's row whenever a reseller
relationship starts or ends, or an admin relationship is approved or terminated, inside the
transaction of that change; the rebuild recomputes every row from the relationship tables
(`manage.py rebuild_customer_list`). Each of them also counts one more version of the partner's
list (CustomerListVersion), in the same transaction: what a page kept of the list is kept under
the version it read, so it is not shown after the change commits.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from tenancy.models import (
    ADMIN_FOREVER,
    AdminRelationship,
    AdminRelationshipStatus,
    CustomerListCount,
    CustomerListRow,
    CustomerListVersion,
    CustomerState,
    ResellerRelationship,
    Tenant,
)

_UPDATED = [
    "customer_name",
    "customer_domain",
    "country",
    "state",
    "since",
    "ended_at",
    "admin_until",
    "indirect_provider",
]


def _row(partner_id, customer: Tenant, latest: ResellerRelationship | None, admin: "_Admin"):
    if latest is None:
        state, since, ended_at = CustomerState.ADMIN_ONLY, admin.first_approved, None
    else:
        state = CustomerState.ENDED if latest.ended_at is not None else CustomerState.RESELLER
        since, ended_at = latest.created_at, latest.ended_at
    return CustomerListRow(
        partner_id=partner_id,
        customer_id=customer.pk,
        customer_name=customer.name,
        customer_domain=customer.domain,
        country_id=customer.country_id,
        state=state,
        since=since,
        ended_at=ended_at,
        admin_until=admin.until,
        indirect_provider_id=latest.indirect_provider_id if latest is not None else None,
    )


class _Admin:
    """What the list keeps of a pair's admin relationships: when the first was approved, and
    the latest end among those not terminated (ADMIN_FOREVER for one that extends itself)."""

    def __init__(self):
        self.first_approved = None
        self.until = None

    def add(self, *, approved_at, ends_at, auto_extend: bool, in_force: bool) -> None:
        if self.first_approved is None or approved_at < self.first_approved:
            self.first_approved = approved_at
        if in_force:
            end = ADMIN_FOREVER if auto_extend else ends_at
            self.until = end if self.until is None else max(self.until, end)

    def __bool__(self) -> bool:
        return self.first_approved is not None


def _approved(relationships):
    """(customer, approved_at, ends_at, auto_extend, not terminated) of approved relationships.
    Whether an end has passed is left to the pages (they compare `admin_until` with now), so the
    row never depends on when it was written."""
    return (
        relationships.filter(approved_at__isnull=False)
        .annotate(running=Q(status=AdminRelationshipStatus.ACTIVE))
        .values_list("customer_id", "approved_at", "ends_at", "auto_extend", "running")
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
        before = (
            CustomerListRow.objects.filter(partner=partner, customer=customer)
            .values_list("state", flat=True)
            .first()
        )
        admin = _Admin()
        for _, approved_at, ends_at, auto_extend, in_force in _approved(
            AdminRelationship.objects.filter(partner=partner, customer=customer)
        ):
            admin.add(
                approved_at=approved_at, ends_at=ends_at, auto_extend=auto_extend, in_force=in_force
            )
        if latest is None and not admin:
            CustomerListRow.objects.filter(partner=partner, customer=customer).delete()
            _count(partner, before, -1)
            _changed([partner.pk])
            return
        row = _row(partner.pk, customer, latest, admin)
        CustomerListRow.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["partner", "customer"],
            update_fields=_UPDATED,
        )
        if row.state != before:
            # Always in the same order (old state, then new), by state name, so that two
            # refreshes of one partner's counters never wait on each other in a circle.
            for state, delta in sorted([(before, -1), (row.state, +1)], key=lambda c: c[0] or ""):
                _count(partner, state, delta)
        _changed([partner.pk])


def _count(partner: Tenant, state: str | None, delta: int) -> None:
    if state is None:
        return
    _add(
        CustomerListCount.objects.filter(partner=partner, state=state),
        "count",
        delta,
        partner=partner,
        state=state,
        count=max(delta, 0),
    )


def _changed(partner_ids) -> None:
    """One more version of each partner's list. Last in its transaction's change of the list, and
    in the partners' order: the row it locks is held only while the transaction commits."""
    for partner_id in sorted(set(partner_ids), key=str):
        _add(
            CustomerListVersion.objects.filter(partner_id=partner_id),
            "version",
            1,
            partner_id=partner_id,
            version=1,
        )


def _add(row, field: str, delta: int, **first) -> None:
    """Add `delta` to `field` of the one row `row` selects; made with `first` when there is none
    yet."""
    if row.update(**{field: F(field) + delta}):
        return
    try:
        with transaction.atomic():
            row.model.objects.create(**first)
    except IntegrityError:
        # Another transaction made the row first: add to it.
        row.update(**{field: F(field) + delta})


def customer_list_rebuild(*, partner: Tenant | None = None, batch: int = 2000) -> int:
    """Recompute every row (of one partner, or of all) from the relationship tables; returns
    how many rows the list now has."""
    partners = [partner] if partner else Tenant.objects.partners().order_by("pk")
    written = 0
    for one in partners:
        with transaction.atomic():
            CustomerListRow.objects.filter(partner=one).delete()
            admin: dict = {}
            for customer_id, approved_at, ends_at, auto_extend, in_force in _approved(
                AdminRelationship.objects.filter(partner=one)
            ):
                admin.setdefault(customer_id, _Admin()).add(
                    approved_at=approved_at,
                    ends_at=ends_at,
                    auto_extend=auto_extend,
                    in_force=in_force,
                )
            # One pass over the partner's relationships in (customer, start) order: the last
            # one seen for a customer is its latest. Cheaper than asking, per row, whether a
            # newer one exists.
            relationships = (
                ResellerRelationship.objects.filter(partner=one)
                .select_related("customer")
                .order_by("customer_id", "created_at", "pk")
                .iterator(chunk_size=batch)
            )
            chunk, previous, seen = [], None, set()
            for relationship in relationships:
                if previous is not None and previous.customer_id != relationship.customer_id:
                    chunk.append(_latest_row(one, previous, admin))
                previous = relationship
                seen.add(relationship.customer_id)
                if len(chunk) == batch:
                    CustomerListRow.objects.bulk_create(chunk)
                    written += len(chunk)
                    chunk = []
            if previous is not None:
                chunk.append(_latest_row(one, previous, admin))
            # Customers the partner only has (or had) an admin relationship with.
            admin_only = [pk for pk in admin if pk not in seen]
            for customer in Tenant.objects.filter(pk__in=admin_only).iterator(chunk_size=batch):
                chunk.append(_row(one.pk, customer, None, admin[customer.pk]))
            CustomerListRow.objects.bulk_create(chunk, batch_size=batch)
            written += len(chunk)
            CustomerListCount.objects.filter(partner=one).delete()
            CustomerListCount.objects.bulk_create(
                CustomerListCount(partner=one, state=state, count=count)
                for state, count in CustomerListRow.objects.filter(partner=one)
                .values_list("state")
                .annotate(n=Count("pk"))
                .order_by()
            )
            _changed([one.pk])
    return written


def _latest_row(partner: Tenant, latest: ResellerRelationship, admin: dict) -> CustomerListRow:
    return _row(partner.pk, latest.customer, latest, admin.get(latest.customer_id, _Admin()))


def customer_list_rename(customer: Tenant) -> None:
    """The Customer lists show copies of a customer's name, domain and country: keep them equal
    to the organization's."""
    rows = CustomerListRow.objects.filter(customer=customer)
    rows.update(
        customer_name=customer.name, customer_domain=customer.domain, country=customer.country
    )
    _changed(rows.values_list("partner_id", flat=True))
