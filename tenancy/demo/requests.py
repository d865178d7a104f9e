"""Relationship requests and two tiers: Contoso's requests in each state a list shows, and
Tailwind Distribution's partnerships with Proseware and Wingtip, the customers they share, a
subscription Tailwind bought on Proseware's behalf and a request of Wingtip's still open. All
made by the services, as the partners and customers would."""

from datetime import timedelta

from django.utils import timezone

from tenancy.demo.cast import Demo, members, tenant
from tenancy.demo.data import (
    ADDRESSES,
    CONTOSO_REQUESTS,
    TWO_TIER_ADDED,
    TWO_TIER_CUSTOMERS,
    TWO_TIER_PENDING,
)
from tenancy.models import (
    Cloud,
    Country,
    Invitation,
    Offer,
    Partnership,
    ResellerRelationship,
    Role,
    Subscription,
    Tenant,
    TenantKind,
    domain_for,
)
from tenancy.services import (
    Attestation,
    CustomerDetails,
    Signer,
    customer_add,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    partnership_answer,
    partnership_request,
    subscription_purchase,
)


def requests(demo: Demo) -> None:
    contoso, agent = demo.tenants["contoso"], demo.holder("contoso", Role.SALES_AGENT)
    for label, days_ago, include_admin, revoked in CONTOSO_REQUESTS:
        if Invitation.objects.filter(partner=contoso, label=label).exists():
            continue
        created = demo.ago(days_ago)
        invitation = invitation_create(
            partner=contoso,
            created_by=agent,
            include_admin=include_admin,
            label=label,
            now=created,
        )
        if revoked:
            invitation_revoke(
                invitation=invitation, revoked_by=agent, now=created + timedelta(days=1)
            )


def two_tier(demo: Demo) -> None:
    tailwind, tailwind_people = demo.tenants["tailwind"], demo.people["tailwind"]
    for key in ("proseware", "wingtip"):
        reseller = demo.tenants[key]
        partnership = (
            Partnership.objects.open().filter(provider=tailwind, reseller=reseller).first()
        )
        if partnership is None:
            partnership = partnership_request(
                provider=tailwind, reseller=reseller, requested_by=tailwind_people["admin"]
            )
        if partnership.is_pending:
            partnership_answer(
                partnership=partnership, answered_by=demo.people[key]["admin"], accept=True
            )

    for key, name, prefix, include_admin, (first, last) in TWO_TIER_CUSTOMERS:
        reseller = demo.tenants[key]
        customer = tenant(
            prefix,
            kind=TenantKind.CUSTOMER,
            name=name,
            country_id="US",
            cloud=Cloud.PUBLIC,
            with_address=True,
        )
        admin = members(demo, customer, [("admin", first, last, [Role.CUSTOMER_GLOBAL_ADMIN])])
        if ResellerRelationship.objects.between(reseller, customer).exists():
            continue
        invitation = invitation_create(
            partner=reseller,
            created_by=demo.people[key]["sales"],
            include_admin=include_admin,
            label=name,
            indirect_provider=tailwind,
        )
        invitation_accept(
            invitation_id=invitation.pk,
            user=admin["admin"],
            signer=Signer(first_name=first, last_name=last, email=admin["admin"].email),
            client_ip=None,
            portal_cloud=Cloud.PUBLIC,
        )

    key, name, prefix, (first, last) = TWO_TIER_ADDED
    reseller = demo.tenants[key]
    login = f"admin@{domain_for(prefix)}"
    if Tenant.objects.domain_available(prefix):
        line1, city, region, postal = ADDRESSES["US"]
        signer = Signer(first_name=first, last_name=last, email=login)
        customer_add(
            partner=tailwind,
            added_by=tailwind_people["agent"],
            details=CustomerDetails(
                name=name,
                domain_prefix=prefix,
                country=Country.objects.get(pk="US"),
                profile={
                    "address_line1": line1,
                    "city": city,
                    "region": region,
                    "postal_code": postal,
                    "contact_first_name": first,
                    "contact_last_name": last,
                    "contact_email": login,
                },
            ),
            attestation=Attestation(signer=signer, accepted_on=timezone.localdate()),
            indirect_reseller=reseller,
        )
    # Its Global administrator signs in with the published password, like every demo account.
    customer = Tenant.objects.get(domain=domain_for(prefix))
    members(demo, customer, [("admin", first, last, [Role.CUSTOMER_GLOBAL_ADMIN])])

    proseware = demo.tenants["proseware"]
    if not Subscription.objects.filter(partner=tailwind, indirect_reseller=proseware).exists():
        subscription_purchase(
            partner=tailwind,
            customer=Tenant.objects.get(domain=domain_for(TWO_TIER_CUSTOMERS[0][2])),
            offer=Offer.objects.get(code="microsoft-365-business-standard"),
            quantity=25,
            purchased_by=tailwind_people["agent"],
            indirect_reseller=proseware,
        )

    key, label = TWO_TIER_PENDING
    reseller = demo.tenants[key]
    if not Invitation.objects.filter(partner=reseller, label=label).exists():
        invitation_create(
            partner=reseller,
            created_by=demo.people[key]["sales"],
            include_admin=True,
            label=label,
            indirect_provider=tailwind,
        )
