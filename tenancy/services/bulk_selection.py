"""What a bulk request is for, and who gets a request: the customers a Customer list search
matches (any number), those picked on a page, or a pasted list of domains and Microsoft IDs.

`skip_reason` is the one rule of who is skipped and why: the preview counts it over the whole
selection in one query, and the worker reads it again for each customer, under its lock, before
it makes the request.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tenancy import rules, selectors
from tenancy.choices import AdminRelationshipStatus, CustomerState
from tenancy.entra_roles import REQUEST_VALID_DAYS
from tenancy.models import AdminRelationship, CustomerListRow, TemplateVersion, Tenant
from tenancy.services.base import ServiceError

PASTE_MAX_LINES = 5_000
PASTE_MAX_CHARACTERS = 300_000

# Why a customer gets no request, code by code (what the preview and the results say).
ALREADY = "already"
OTHER_CLOUD = "other_cloud"
ENDED = "ended"
UNKNOWN = "unknown_line"
UNREADABLE = "unreadable_line"
SKIP_REASONS = {
    ALREADY: gettext_lazy(
        "A relationship from this template version is already active or waiting for approval"
    ),
    OTHER_CLOUD: gettext_lazy("The customer is in another cloud"),
    ENDED: gettext_lazy("No longer your customer (the reseller relationship ended)"),
    UNKNOWN: gettext_lazy("Not one of your customers"),
    UNREADABLE: gettext_lazy("Not a domain or a Microsoft ID"),
}


# Why an item of a job was skipped or failed, beyond the preview's reasons.
ITEM_REASONS = {
    "not_customer": SKIP_REASONS[UNKNOWN],
    "cloud": SKIP_REASONS[OTHER_CLOUD],
    "not_waiting": gettext_lazy("No longer waiting for approval (answered, withdrawn or lapsed)"),
    "not_pending": gettext_lazy("No longer waiting for approval (answered, withdrawn or lapsed)"),
    "any_customer": gettext_lazy("A request for any customer: send its link yourself"),
    "no_address": gettext_lazy(
        "Nobody in the customer's organization who can approve admin relationships has an email "
        "address"
    ),
    "name": gettext_lazy("A request with this name already exists"),
    # The same, as the service's refusal names it (AdminRequestInvalid(taken=True)).
    "name_taken": gettext_lazy("A request with this name already exists"),
    # Steps on relationships in force (auto-extend, Remove Global Administrator, upgrades).
    "not_in_force": gettext_lazy("Not active any more (ended, terminated or not yet approved)"),
    "already_on": gettext_lazy("It already extends automatically"),
    "already_off": gettext_lazy("It already ends on its date"),
    "global_administrator": gettext_lazy(
        "It holds Global Administrator, so it can't extend automatically: remove Global "
        "Administrator first"
    ),
    "not_held": gettext_lazy("It doesn't hold Global Administrator"),
    "only_role": gettext_lazy("Global Administrator is its only role: terminate it instead"),
    "latest": gettext_lazy("Already on the template's latest version"),
    "waiting": gettext_lazy("An upgrade already waits for the customer's approval"),
    "error": gettext_lazy(
        "Something went wrong on our side and nothing was made for this customer; the job went "
        "on with the others. Start a request for this customer again."
    ),
}


def item_reason(code: str) -> str:
    """An item's reason, as a person reads it (the code itself if it is none we know)."""
    if not code:
        return ""
    reason = SKIP_REASONS.get(code) or ITEM_REASONS.get(code)
    return str(reason) if reason is not None else code


@dataclass(frozen=True)
class Selection:
    """Who a bulk request is for: one of a Customer list search, picked customers, or lines."""

    search: selectors.CustomerFilter | None = None
    picked: tuple[str, ...] = ()
    pasted: str = ""

    def to_json(self) -> dict:
        if self.search is not None:
            return {"search": self.search.to_json()}
        if self.picked:
            return {"picked": len(self.picked)}
        return {"pasted": len(self.pasted.splitlines())}


@dataclass
class Pasted:
    """A pasted list, read: the ids and domains it names, and the lines that name neither."""

    ids: dict = field(default_factory=dict)  # uuid -> line number
    domains: dict = field(default_factory=dict)  # domain -> line number
    unreadable: list = field(default_factory=list)  # (line number, line)


_DOMAIN = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})+\Z")


def read_paste(text: str) -> Pasted:
    """Each non-blank line a domain or a Microsoft ID (a CSV's first column will do). Refused,
    as a whole, past its limits."""
    if len(text) > PASTE_MAX_CHARACTERS:
        raise ServiceError(
            _("Paste at most %(max)s characters; split a longer list into several jobs.")
            % {"max": f"{PASTE_MAX_CHARACTERS:,}"},
            code="paste_size",
        )
    lines = text.splitlines()
    if len(lines) > PASTE_MAX_LINES:
        raise ServiceError(
            ngettext(
                "Paste at most %(max)s line; split a longer list into several jobs.",
                "Paste at most %(max)s lines; split a longer list into several jobs.",
                PASTE_MAX_LINES,
            )
            % {"max": f"{PASTE_MAX_LINES:,}"},
            code="paste_size",
        )
    pasted = Pasted()
    for number, line in enumerate(lines, start=1):
        value = line.split(",", 1)[0].strip().strip('"').strip().lower()
        if not value:
            continue
        try:
            pasted.ids.setdefault(uuid.UUID(value), number)
            continue
        except ValueError:
            pass
        if _DOMAIN.match(value):
            pasted.domains.setdefault(value, number)
        else:
            pasted.unreadable.append((number, line.strip()[:200]))
    if not (pasted.ids or pasted.domains or pasted.unreadable):
        raise ServiceError(_("Paste at least one domain or Microsoft ID."), code="empty")
    return pasted


def selected_rows(partner: Tenant, selection: Selection, *, pasted: Pasted | None = None):
    """The Customer list rows the selection names (the partner's only: a pasted or picked id of
    anyone else's customer names nothing)."""
    side = rules.partnership_side(partner)
    if selection.search is not None:
        return selectors.customer_list_rows(partner, selection.search, side=side)
    rows = CustomerListRow.objects.filter(partner=partner)
    if selection.picked:
        ids = []
        for value in selection.picked:
            try:
                ids.append(uuid.UUID(str(value)))
            except ValueError:
                continue
        return rows.filter(customer_id__in=ids)
    pasted = pasted or read_paste(selection.pasted)
    return rows.filter(Q(customer_id__in=list(pasted.ids)) | Q(customer_domain__in=pasted.domains))


def open_from_version(version: TemplateVersion, now=None):
    """The version's relationships that still count: waiting for approval (not lapsed), or in
    force."""
    now = now or timezone.now()
    lapse = now - timedelta(days=REQUEST_VALID_DAYS)
    return AdminRelationship.objects.filter(template_version=version).filter(
        Q(status=AdminRelationshipStatus.APPROVAL_PENDING, finalized_at__gt=lapse)
        | Q(status=AdminRelationshipStatus.CREATED)
        | (Q(status=AdminRelationshipStatus.ACTIVE) & (Q(auto_extend=True) | Q(ends_at__gt=now)))
    )


def skip_reason(rows, version: TemplateVersion, now=None):
    """`rows` (Customer list rows) with `skip`: why the customer gets no request ("" when it
    gets one)."""
    partner_cloud = version.template.partner.cloud
    return rows.annotate(
        skip=Case(
            When(
                Exists(open_from_version(version, now).filter(customer=OuterRef("customer_id"))),
                then=Value(ALREADY),
            ),
            When(~Q(customer__cloud=partner_cloud), then=Value(OTHER_CLOUD)),
            When(state=CustomerState.ENDED, then=Value(ENDED)),
            default=Value(""),
            output_field=CharField(),
        )
    )


@dataclass(frozen=True)
class Preview:
    total: int
    requests: int
    skipped: dict  # reason code -> count
    unreadable: list  # (line number, line)
    unknown: list  # (line number, value): pasted lines that named no customer of yours

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values()) + len(self.unreadable) + len(self.unknown)

    def reasons(self) -> list[tuple[str, str, int]]:
        """(code, sentence, count) of every reason with a count, most common first."""
        counts = dict(self.skipped)
        if self.unknown:
            counts[UNKNOWN] = len(self.unknown)
        if self.unreadable:
            counts[UNREADABLE] = len(self.unreadable)
        return sorted(
            ((code, str(SKIP_REASONS[code]), n) for code, n in counts.items() if n),
            key=lambda reason: -reason[2],
        )


def unknown_lines(partner: Tenant, pasted: Pasted) -> list[tuple[int, str]]:
    """The pasted ids and domains that are none of the partner's customers (one query)."""
    found = CustomerListRow.objects.filter(partner=partner).filter(
        Q(customer_id__in=list(pasted.ids)) | Q(customer_domain__in=pasted.domains)
    )
    ids, domains = set(), set()
    for customer_id, domain in found.values_list("customer_id", "customer_domain"):
        ids.add(customer_id)
        domains.add(domain)
    missing = [(n, str(value)) for value, n in pasted.ids.items() if value not in ids]
    missing += [(n, value) for value, n in pasted.domains.items() if value not in domains]
    return sorted(missing)


def bulk_request_preview(
    *, partner: Tenant, selection: Selection, version: TemplateVersion, now=None
) -> Preview:
    """How many customers get a request, and how many are skipped and why: counted over the
    whole selection in a fixed number of queries, whatever its size."""
    pasted = (
        None if selection.search is not None or selection.picked else read_paste(selection.pasted)
    )
    rows = selected_rows(partner, selection, pasted=pasted)
    counts = dict(
        skip_reason(rows, version, now).values_list("skip").annotate(n=Count("pk")).order_by()
    )
    requests = counts.pop("", 0)
    unknown = unknown_lines(partner, pasted) if pasted is not None else []
    unreadable = pasted.unreadable if pasted is not None else []
    total = requests + sum(counts.values()) + len(unknown) + len(unreadable)
    return Preview(total, requests, counts, unreadable, unknown)
