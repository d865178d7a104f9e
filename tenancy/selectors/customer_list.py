"""The Customer list as a search asks for it, from its read model (CustomerListRow): the page,
its export, the API and "Select all that match" of a bulk request read the same rows."""

import uuid
from dataclasses import asdict, dataclass

from django.db.models import Q
from django.utils import timezone

from tenancy.models import CustomerListCount, CustomerListRow, Tenant
from tenancy.prepared import Prepared

# The relationship filter's values: a row's state, or "admin" — not a state but a time: an admin
# relationship not yet ended.
WITH_ADMIN = "admin"


@dataclass(frozen=True)
class CustomerFilter:
    """A search of the Customer list: what its form (or a stored bulk selection) says."""

    q: str = ""
    relationship: str = ""
    # An indirect provider's filter by indirect reseller, or a reseller's by provider.
    indirect: str = ""

    @property
    def searching(self) -> bool:
        """Counted up to a limit, like a search (not read off the list's counters)."""
        return bool(self.q.strip() or self.relationship == WITH_ADMIN or self.indirect)

    def to_json(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value}

    @classmethod
    def from_json(cls, data: dict) -> "CustomerFilter":
        return cls(**{key: str(data.get(key, "")) for key in ("q", "relationship", "indirect")})


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def customer_list_rows(partner: Tenant, search: CustomerFilter, *, side: str = "", now=None):
    """The partner's rows that match `search` (`side`: the partner's side of two tiers)."""
    rows = CustomerListRow.objects.filter(partner=partner)
    if q := search.q.strip():
        as_id = _as_uuid(q)
        rows = rows.filter(
            Q(customer_id=as_id)
            if as_id
            else Q(customer_name__icontains=q) | Q(customer_domain__icontains=q)
        )
    if search.relationship == WITH_ADMIN:
        # Compared with now: an admin relationship's end needs no job to take effect.
        rows = rows.filter(admin_until__gt=now or timezone.now())
    elif search.relationship:
        rows = rows.filter(state=search.relationship)
    if search.indirect:
        indirect = _as_uuid(search.indirect)
        if side == "reseller":  # the customers served through this provider
            rows = rows.filter(indirect_provider=indirect)
        else:  # the customers this reseller serves through us (its own rows say so)
            rows = rows.filter(
                customer__in=CustomerListRow.objects.filter(
                    partner=indirect, indirect_provider=partner
                ).values("customer_id")
            )
    return rows


def customer_list_total(partner: Tenant, state: str = "") -> int:
    """How many rows the partner's Customer list has (of `state`, a CustomerState, when given):
    from the counters kept with the rows (CustomerListCount), nothing counted."""
    return sum(
        counter.count
        for counter in _COUNTERS.all(partner=partner.pk)
        if not state or counter.state == state
    )


# One row a state; read by every Customer list page and the API's: compiled once.
_COUNTERS = Prepared(
    lambda partner: CustomerListCount.objects.filter(partner=partner),
    partner=Tenant._meta.pk,
)
