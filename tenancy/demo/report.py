"""What `seed_demo` prints: the demo accounts, Contoso's admin relationships and the links of the
requests that wait for an answer."""

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
from tenancy.models import AdminRelationship, AdminRelationshipStatus, Invitation, Role, domain_for
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
        AdminRelationship.objects.filter(partner=contoso)
        .exclude(name__startswith="Default roles - ")
        .select_related("customer")
        .order_by("name")
    )
    for relationship in showcase:
        customer = relationship.customer.name if relationship.customer else "(any customer)"
        status = relationship.display_status(demo.now).label
        write(f"  {relationship.name:36} {status:17} {customer}")
    demo_partners = [tenant for tenant in demo.tenants.values() if tenant.is_partner]
    pending = (
        AdminRelationship.objects.with_status(AdminRelationshipStatus.APPROVAL_PENDING, demo.now)
        .filter(partner__in=demo_partners, customer__isnull=False)
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
