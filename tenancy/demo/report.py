"""What `seed_demo` prints: the demo accounts, Contoso's admin relationships, its templates, bulk
request and pending approvals, and the links of the requests a demo account can answer."""

from tenancy.demo.cast import Demo
from tenancy.demo.data import (
    BOOK_ACCOUNTS,
    CUSTOMERS,
    DEMO_PASSWORD,
    PARTNERS,
    TWO_TIER_ADDED,
    TWO_TIER_CUSTOMERS,
    TWO_TIER_PENDING,
    book_prefix,
)
from tenancy.models import (
    AdminRelationship,
    AdminRelationshipStatus,
    AdminRelationshipTemplate,
    BulkJob,
    Invitation,
    Role,
    domain_for,
)
from tenancy.services import lapsed_requests, waiting_requests
from tenancy.text import possessive


def report(demo: Demo, write) -> None:
    write("\nDemo accounts (demo data only; never reuse this password):")
    accounts = [(name, prefix, users) for _key, name, prefix, *_rest, users in PARTNERS]
    accounts += [(name, prefix, users) for _key, name, prefix, *_rest, users in CUSTOMERS]
    accounts += [(name, book_prefix(name), users) for name, users in BOOK_ACCOUNTS.items()]
    two_tier = [(name, prefix, names) for _k, name, prefix, _a, names in TWO_TIER_CUSTOMERS]
    two_tier.append(TWO_TIER_ADDED[1:])
    accounts += [
        (name, prefix, [("admin", first, last, [Role.CUSTOMER_GLOBAL_ADMIN])])
        for name, prefix, (first, last) in two_tier
    ]
    for name, prefix, users in accounts:
        for handle, _first, _last, roles in users:
            login = f"{handle}@{domain_for(prefix)}"
            labels = ", ".join(str(role.label) for role in roles)
            write(f"  {login:44} {name:27} {labels}")
    write(f"  {'operator':44} {'(Django admin, /operators/)':27} superuser")
    write(f"\nPassword for every demo account: {DEMO_PASSWORD}\n")
    contoso = demo.tenants["contoso"]
    write(f"{possessive(contoso.name)} admin relationships (besides its customers' default ones):")
    showcase = (
        AdminRelationship.objects.filter(partner=contoso, template_version__isnull=True)
        .exclude(name__startswith="Default roles - ")
        .select_related("customer")
        .order_by("name")
    )
    for relationship in showcase:
        customer = relationship.customer.name if relationship.customer else "(any customer)"
        status = relationship.display_status(demo.now).label
        write(f"  {relationship.name:36} {status:17} {customer}")
    templates(demo, write)
    demo_partners = [tenant for tenant in demo.tenants.values() if tenant.is_partner]
    # The links a demo account can answer: its customer's Global administrator signs in.
    answerable = {domain_for(prefix) for _name, prefix, _users in accounts}
    pending = (
        AdminRelationship.objects.with_status(AdminRelationshipStatus.APPROVAL_PENDING, demo.now)
        .filter(partner__in=demo_partners, customer__domain__in=answerable)
        .select_related("partner", "customer")
    )
    for relationship in pending.order_by("name"):
        write(
            f"\nTo approve “{relationship.name}” (a Global administrator of "
            f"{relationship.customer.name}), open:\n  {relationship.link()}"
        )
    key, label = TWO_TIER_PENDING
    invitation = (
        Invitation.objects.filter(partner=demo.tenants[key], label=label)
        .select_related("partner", "indirect_provider")
        .first()
    )
    if invitation is not None and invitation.is_open:
        northwind = f"admin@{domain_for('northwindtraders')}"
        write(
            f"\nTo accept {possessive(invitation.partner.name)} two-tier request (through "
            f"{invitation.indirect_provider.name}) as a customer with no partner yet "
            f"({northwind}), open:\n  {invitation.link()}"
        )


def templates(demo: Demo, write) -> None:
    """Contoso's templates, its bulk request and its requests waiting for approval, in a few
    lines."""
    contoso = demo.tenants["contoso"]
    write(f"\n{possessive(contoso.name)} admin relationship templates:")
    for template in AdminRelationshipTemplate.objects.filter(partner=contoso).order_by("name"):
        versions = template.versions.count()
        made = AdminRelationship.objects.filter(template_version__template=template).count()
        write(f"  {template.name:36} version {versions}, {made} requests made from it")
    jobs = BulkJob.objects.filter(partner=contoso).select_related("template_version__template")
    for job in jobs.order_by("created_at"):
        write(
            f"  Bulk request from “{job.template_version.template.name}”, "
            f"{(demo.now - job.created_at).days} days ago: {job.succeeded} made, "
            f"{job.skipped} skipped, {job.failed} failed"
        )
    ages = sorted(
        max(0, (demo.now - finalized).days)
        for finalized in waiting_requests(contoso, now=demo.now).values_list(
            "finalized_at", flat=True
        )
    )
    lapsed = lapsed_requests(contoso, now=demo.now).count()
    if ages:
        write(
            f"  Pending approvals: {len(ages)} waiting, {ages[0]} to {ages[-1]} days old; "
            f"{lapsed} lapsed unanswered (Request again)"
        )
