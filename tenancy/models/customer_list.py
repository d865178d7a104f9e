"""The read model behind Partner Center's Customer list.

One row per partner and customer the partner has or had a reseller relationship, or an approved
admin relationship, with: what the list shows, sorts and filters on, with the indexes for each.
The services write it in the same transaction that changes a relationship
(`tenancy.effects.customer_list`); nothing else does, and `manage.py rebuild_customer_list`
recomputes it from the relationship tables.
"""

from datetime import UTC, datetime

from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone

from tenancy.choices import CustomerState
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.tenants import Country, Tenant

# `admin_until` of a pair whose admin relationship extends itself: it never lapses.
ADMIN_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


class CustomerListRow(ChoiceLabels, models.Model):
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    # Copies of the customer's, so the list sorts and searches on this table's own indexes.
    customer_name = models.CharField(max_length=200)
    customer_domain = models.CharField(max_length=80)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=CustomerState)
    # When the pair's latest reseller relationship started, and ended (if it did); with no
    # reseller relationship, when the first admin relationship was approved.
    since = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # The latest end among the partner's approved, not terminated admin relationships in the
    # customer (ADMIN_FOREVER when one extends itself); empty when there is none. Time passing
    # needs no update: the pages compare it with the time of the request.
    admin_until = models.DateTimeField(null=True, blank=True)
    # On an indirect reseller's rows: the indirect provider of its latest relationship with the
    # customer (the reseller's list shows, and filters by, the provider it serves it through).
    indirect_provider = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "customer"], name="customer_list_row_once"),
        ]
        # Each sort (name or since, either way: an index reads backwards too), with and without
        # a relationship filter, is a range scan of one page.
        indexes = [
            # The name order, and a search in it. The rows a search finds are in no index's name
            # order (a trigram index finds them in no order at all), so PostgreSQL walks this
            # index in the list's order and keeps the matches; a rare term goes by the trigram
            # indexes instead (migration 0006). The index holds every column, so the walk never
            # visits the table (an index-only scan), and the two expressions icontains compares,
            # UPPER(column::text), already computed: a row that does not match costs an index
            # entry and two LIKEs, not a table row and two UPPER(). The columns after the first
            # three are keys rather than `include` (SQLite has no INCLUDE): (partner, name,
            # customer) is unique, so they change no order, and PostgreSQL keeps them out of the
            # index's inner pages. A column added to the model belongs here too, or the walk reads
            # the table again (tests/partner_center/test_customer_search_scale.py says so).
            models.Index(
                F("partner"),
                F("customer_name"),
                F("customer"),
                Upper("customer_name"),
                Upper("customer_domain"),
                F("id"),
                F("customer_domain"),
                F("country"),
                F("state"),
                F("since"),
                F("ended_at"),
                F("admin_until"),
                F("indirect_provider"),
                name="cl_name_search_idx",
            ),
            models.Index(fields=["partner", "since", "customer"], name="cl_since_idx"),
            models.Index(
                fields=["partner", "state", "customer_name", "customer"], name="cl_state_name_idx"
            ),
            models.Index(
                fields=["partner", "state", "since", "customer"], name="cl_state_since_idx"
            ),
            models.Index(fields=["partner", "admin_until"], name="cl_admin_until_idx"),
            models.Index(
                fields=["partner", "indirect_provider", "customer_name", "customer"],
                condition=models.Q(indirect_provider__isnull=False),
                name="cl_provider_name_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} in {self.partner_id}'s Customer list"

    @property
    def is_active(self) -> bool:
        return self.state == CustomerState.RESELLER

    @property
    def has_admin(self) -> bool:
        return self.admin_until is not None and self.admin_until > timezone.now()

    @property
    def admin_extends(self) -> bool:
        return self.admin_until == ADMIN_FOREVER


class CustomerListCount(ChoiceLabels, models.Model):
    """How many rows of each state a partner's Customer list has, kept with the rows: the page
    shows an exact total without counting 100,000 rows."""

    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=CustomerState)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "state"], name="customer_list_count_once"),
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.state}"


class CustomerListVersion(models.Model):
    """How many times a partner's Customer list has changed: written in the transaction of each
    change to its rows (tenancy.effects.customer_list), read with the signed-in membership
    (tenancy.web.auth_backend). A page rendered from the list is kept under the version it
    read first (tenancy.web.fragments): a change commits a new version, so what was kept is never
    shown after it."""

    partner = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.partner_id}'s Customer list, version {self.version}"
