"""The partners' books of business: some 50 customers of Contoso, a few of Fabrikam and Tailspin,
each added by the partner's Sales agent (Add customer) days or months ago, with the default
admin relationship its Global administrator approved, subscriptions, or a reseller relationship
the partner's Global admin ended. Every row and audit line is a service's."""

from datetime import timedelta

from django.utils import timezone

from tenancy.demo.cast import Demo, global_administrator, members
from tenancy.demo.data import (
    ADDRESSES,
    ADMIN_SHOWCASE,
    BOOK_ACCOUNTS,
    BOOK_CONTACTS,
    BOOK_NAMES,
    BOOK_SUFFIXES,
    OTHER_BOOKS,
    book_prefix,
)
from tenancy.models import (
    DEFAULT_AUTO_EXTEND,
    DEFAULT_DAYS,
    DEFAULT_ROLES,
    Country,
    Offer,
    Role,
    Tenant,
    domain_for,
)
from tenancy.services import (
    AdminRequest,
    Attestation,
    CustomerDetails,
    Signer,
    admin_relationship_approve,
    admin_relationship_create,
    customer_add,
    reseller_relationship_end,
    subscription_purchase,
)


def book_of_business(demo: Demo) -> None:
    names = [f"{base}{suffix}" for suffix in BOOK_SUFFIXES for base in BOOK_NAMES]
    for index, name in enumerate(names):
        history(
            demo,
            "contoso",
            name,
            book_prefix(name),
            "US",
            days_ago=5 + index * 14,
            with_admin=index % 3 != 0 and name not in ADMIN_SHOWCASE,
            ended=index in (7, 19, 33),
            subscriptions=index % 4 != 1,
        )
    for key, name, prefix, country, days_ago in OTHER_BOOKS:
        history(
            demo,
            key,
            name,
            prefix,
            country,
            days_ago=days_ago,
            with_admin=True,
            ended=False,
            subscriptions=True,
        )
    for name, users in BOOK_ACCOUNTS.items():
        members(demo, Tenant.objects.get(domain=domain_for(book_prefix(name))), users)


def history(
    demo: Demo,
    key: str,
    name: str,
    prefix: str,
    country: str,
    *,
    days_ago: int,
    with_admin: bool,
    ended: bool,
    subscriptions: bool,
) -> None:
    """One customer's story with partner `key`, unless the demo has the customer already."""
    if not Tenant.objects.domain_available(prefix):
        return
    partner, sales = demo.tenants[key], demo.holder(key, Role.SALES_AGENT)
    started = demo.ago(days_ago, hours=demo.rng.randint(0, 8))
    customer = added(demo, partner, sales, name, prefix, country, started)
    if with_admin and not ended:
        default_admin_relationship(demo, key, customer, started)
    if ended:
        reseller_relationship_end(
            partner=partner,
            customer=customer,
            ended_by=demo.holder(key, Role.GLOBAL_ADMIN),
            by=partner,
            now=started + timedelta(days=3),
        )
    elif subscriptions:
        offers = list(Offer.objects.order_by("code"))
        for offer in demo.rng.sample(offers, 2):
            quantity = 1 if offer.is_azure else demo.rng.choice([5, 10, 25, 40, 120])
            subscription_purchase(
                partner=partner,
                customer=customer,
                offer=offer,
                quantity=quantity,
                purchased_by=sales,
                now=started + timedelta(days=1),
            )


def added(demo: Demo, partner: Tenant, agent, name, prefix, country, started) -> Tenant:
    """Add customer, with the partner's word that the customer's IT accepted the agreement that
    day; its primary contact (and Global administrator) is its demo account if it has one, the
    IT who signed if it is one of BOOK_CONTACTS, else nobody yet."""
    line1, city, region, postal = ADDRESSES[country]
    profile = {"address_line1": line1, "city": city, "region": region, "postal_code": postal}
    signer = Signer(first_name="Pat", last_name="Signer", email=f"it@{domain_for(prefix)}")
    if name in BOOK_CONTACTS:
        profile |= {
            "contact_first_name": signer.first_name,
            "contact_last_name": signer.last_name,
            "contact_email": signer.email,
        }
    for handle, first, last, _roles in BOOK_ACCOUNTS.get(name, [])[:1]:
        profile |= {
            "contact_first_name": first,
            "contact_last_name": last,
            "contact_email": f"{handle}@{domain_for(prefix)}",
        }
    return customer_add(
        partner=partner,
        added_by=agent,
        details=CustomerDetails(
            name=name,
            domain_prefix=prefix,
            country=Country.objects.get(pk=country),
            profile=profile,
        ),
        attestation=Attestation(signer=signer, accepted_on=timezone.localdate(started)),
        now=started,
    ).customer


def default_admin_relationship(demo: Demo, key: str, customer: Tenant, started) -> None:
    """What "Include delegated administration permissions" grants: the default roles, two
    years, extended automatically; asked by the partner's Admin agent as the customer was added,
    approved by its Global administrator an hour later."""
    relationship = admin_relationship_create(
        partner=demo.tenants[key],
        created_by=demo.holder(key, Role.ADMIN_AGENT),
        request=AdminRequest(
            name=f"Default roles - {customer.name}"[:50].rstrip(),
            duration_days=DEFAULT_DAYS,
            roles=list(DEFAULT_ROLES),
            auto_extend=DEFAULT_AUTO_EXTEND,
        ),
        customer=customer,
        finalize=True,
        now=started,
    )
    admin_relationship_approve(
        relationship_id=relationship.pk,
        user=global_administrator(customer),
        portal_cloud=customer.cloud,
        now=started + timedelta(hours=1),
    )
