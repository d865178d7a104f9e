"""Demo data: partners, customers, agents and history to click through. Safe to run again."""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tenancy.models import (
    DELEGATED_ADMIN_ROLES,
    AcceptanceMethod,
    AdminRelationship,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    CspRole,
    FormedBy,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Offer,
    ResellerRelationship,
    Role,
    Subscription,
    Tenant,
    TenantKind,
    domain_for,
)
from tenancy.services.customer_list import customer_list_refresh

DEMO_PASSWORD = "Demo-Reseller-2026"  # noqa: S105 (published on purpose: demo data only)

User = get_user_model()

PARTNERS = [
    # key, name, prefix, country, cloud, PartnerID, CSP role, [(user, first, last, roles)]
    (
        "contoso",
        "Contoso Cloud Partners",
        "contosopartners",
        "US",
        Cloud.PUBLIC,
        4851001,
        CspRole.DIRECT,
        [
            ("globaladmin", "Grace", "Hopper", [Role.GLOBAL_ADMIN]),
            ("adminagent", "Alan", "Turing", [Role.ADMIN_AGENT]),
            ("sales", "Sara", "Davis", [Role.SALES_AGENT]),
            ("helpdesk", "Henry", "Ross", [Role.HELPDESK_AGENT]),
            ("billing", "Bea", "Lopez", [Role.BILLING_ADMIN]),
        ],
    ),
    (
        "fabrikam",
        "Fabrikam Conseil SAS",
        "fabrikamconseil",
        "FR",
        Cloud.PUBLIC,
        5120044,
        CspRole.INDIRECT_RESELLER,
        [
            ("admin", "Camille", "Martin", [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT]),
            ("sales", "Lucas", "Bernard", [Role.SALES_AGENT]),
        ],
    ),
    (
        "tailspin",
        "Tailspin Federal Solutions",
        "tailspinfederal",
        "US",
        Cloud.USGOV,
        6004312,
        CspRole.DIRECT,
        [
            ("adminagent", "Dana", "Whitman", [Role.ADMIN_AGENT, Role.GLOBAL_ADMIN]),
            ("sales", "Marcus", "Reed", [Role.SALES_AGENT]),
        ],
    ),
]

ADDRESSES = {
    "US": ("1 Microsoft Way", "Redmond", "WA", "98052"),
    "DE": ("Kaiserstraße 12", "München", "Bayern", "80801"),
    "CA": ("100 Queen Street West", "Toronto", "ON", "M5H 2N2"),
    "FR": ("12 rue de Rivoli", "Paris", "", "75001"),
    "ES": ("Calle de Alcalá 45", "Madrid", "", "28014"),
}

CUSTOMERS = [
    # key, name, prefix, country, cloud, with billing address, [(user, first, last, roles)]
    (
        "northwind",
        "Northwind Traders",
        "northwindtraders",
        "US",
        Cloud.PUBLIC,
        True,
        [
            ("admin", "Nancy", "Davolio", [Role.CUSTOMER_GLOBAL_ADMIN]),
            ("billing", "Andrew", "Fuller", [Role.CUSTOMER_BILLING_ADMIN]),
            ("user", "Janet", "Leverling", [Role.CUSTOMER_USER]),
        ],
    ),
    (
        "alpine",
        "Alpine Ski House GmbH",
        "alpineskihouse",
        "DE",
        Cloud.PUBLIC,
        False,
        [("admin", "Lena", "Vogel", [Role.CUSTOMER_GLOBAL_ADMIN])],
    ),
    (
        "maple",
        "Maple Leaf Outfitters",
        "mapleleafoutfitters",
        "CA",
        Cloud.PUBLIC,
        True,
        [("admin", "Owen", "Tremblay", [Role.CUSTOMER_GLOBAL_ADMIN])],
    ),
    (
        "springfield",
        "Springfield Public Works",
        "springfieldpw",
        "US",
        Cloud.USGOV,
        True,
        [("admin", "Ruth", "Simmons", [Role.CUSTOMER_GLOBAL_ADMIN])],
    ),
]

BOOK_NAMES = [
    "Adatum",
    "Blue Yonder Airlines",
    "Coho Winery",
    "Consolidated Messenger",
    "Fourth Coffee",
    "Graphic Design Institute",
    "Humongous Insurance",
    "Litware",
    "Lucerne Publishing",
    "Margie's Travel",
    "Northwind Health",
    "Proseware",
    "Relecloud",
    "School of Fine Art",
    "Southridge Video",
    "Trey Research",
    "VanArsdel",
    "Wide World Importers",
    "Wingtip Toys",
    "Woodgrove Bank",
    "Tailwind Traders",
    "Fabrikam Residences",
    "Bellows College",
    "Best For You Organics",
    "City Power & Light",
]
BOOK_SUFFIXES = ["", " West"]


class Command(BaseCommand):
    help = "Create the demo partners, customers, agents and history. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the demo accounts share a published password).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts whose password is published. Run it with DEBUG on, "
                "or pass --force on a database nobody relies on."
            )
        self.rng = random.Random(2026)
        self.now = timezone.now()
        with transaction.atomic():
            tenants = {}
            for key, name, prefix, country, cloud, mpn_id, csp_role, users in PARTNERS:
                tenant = self.tenant(
                    prefix,
                    kind=TenantKind.PARTNER,
                    name=name,
                    country_id=country,
                    cloud=cloud,
                    mpn_id=mpn_id,
                    csp_role=csp_role,
                    with_address=True,
                )
                tenants[key] = (tenant, self.members(tenant, users))
            for key, name, prefix, country, cloud, with_address, users in CUSTOMERS:
                tenant = self.tenant(
                    prefix,
                    kind=TenantKind.CUSTOMER,
                    name=name,
                    country_id=country,
                    cloud=cloud,
                    with_address=with_address,
                )
                tenants[key] = (tenant, self.members(tenant, users))
            self.operator()
            self.book_of_business(tenants)
            self.requests(tenants)
        self.report()

    # --- building blocks ---------------------------------------------------------------

    def tenant(self, prefix, *, with_address, **fields) -> Tenant:
        line1, city, region, postal = ADDRESSES.get(fields["country_id"], ADDRESSES["US"])
        if with_address:
            fields |= {
                "address_line1": line1,
                "city": city,
                "region": region,
                "postal_code": postal,
            }
        tenant, _ = Tenant.objects.get_or_create(domain=domain_for(prefix), defaults=fields)
        return tenant

    def members(self, tenant: Tenant, users) -> dict:
        people = {}
        for handle, first, last, roles in users:
            username = f"{handle}@{tenant.domain}"
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={"email": username, "first_name": first, "last_name": last},
            )
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            membership, _ = Membership.objects.get_or_create(user=user, defaults={"tenant": tenant})
            for role in roles:
                MembershipRole.objects.get_or_create(membership=membership, role=role)
            if (
                tenant.is_customer
                and not tenant.contact_email
                and Role.CUSTOMER_GLOBAL_ADMIN in roles
            ):
                Tenant.objects.filter(pk=tenant.pk).update(
                    contact_first_name=first, contact_last_name=last, contact_email=username
                )
            people[handle] = user
        return people

    def operator(self) -> None:
        user, _ = User.objects.get_or_create(
            username="operator", defaults={"is_staff": True, "is_superuser": True}
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])

    def book_of_business(self, tenants) -> None:
        """Some 50 customers of Contoso, a few of Fabrikam and Tailspin, with their history."""
        contoso, contoso_people = tenants["contoso"]
        names = [f"{base}{suffix}" for suffix in BOOK_SUFFIXES for base in BOOK_NAMES]
        for index, name in enumerate(names):
            prefix = "".join(c for c in name.lower() if c.isalnum())[:40]
            customer = self.tenant(
                prefix,
                kind=TenantKind.CUSTOMER,
                name=name,
                country_id="US",
                cloud=Cloud.PUBLIC,
                with_address=True,
            )
            self.history(
                contoso,
                customer,
                agent=contoso_people["sales"],
                days_ago=5 + index * 14,
                with_admin=index % 3 != 0,
                ended=index in (7, 19, 33),
                subscriptions=index % 4 != 1,
            )
        fabrikam, fabrikam_people = tenants["fabrikam"]
        for name, prefix, country in [
            ("Contoso Farmacéutica SL", "contosofarma", "ES"),
            ("Lamna Healthcare GmbH", "lamnahealthcare", "DE"),
        ]:
            customer = self.tenant(
                prefix,
                kind=TenantKind.CUSTOMER,
                name=name,
                country_id=country,
                cloud=Cloud.PUBLIC,
                with_address=True,
            )
            self.history(
                fabrikam,
                customer,
                agent=fabrikam_people["sales"],
                days_ago=40,
                with_admin=True,
                ended=False,
                subscriptions=True,
            )
        tailspin, tailspin_people = tenants["tailspin"]
        customer = self.tenant(
            "riverdaleschools",
            kind=TenantKind.CUSTOMER,
            name="Riverdale County Schools",
            country_id="US",
            cloud=Cloud.USGOV,
            with_address=True,
        )
        self.history(
            tailspin,
            customer,
            agent=tailspin_people["sales"],
            days_ago=60,
            with_admin=True,
            ended=False,
            subscriptions=True,
        )

    def history(self, partner, customer, *, agent, days_ago, with_admin, ended, subscriptions):
        if ResellerRelationship.objects.between(partner, customer).exists():
            return
        started = self.now - timedelta(days=days_ago, hours=self.rng.randint(0, 8))
        common = {"partner": partner, "customer": customer}
        ResellerRelationship.objects.create(
            **common,
            formed_by=FormedBy.NEW_CUSTOMER,
            created_at=started,
            created_by=agent,
            ended_at=started + timedelta(days=3) if ended else None,
            ended_by=agent if ended else None,
        )
        self.event(AuditAction.CUSTOMER_ADDED, agent, partner, customer, started)
        self.event(AuditAction.RESELLER_STARTED, agent, partner, customer, started)
        AgreementAcceptance.objects.create(
            customer=customer,
            version=settings.CUSTOMER_AGREEMENT_VERSION,
            method=AcceptanceMethod.PARTNER_ATTESTATION,
            signer_first_name="Pat",
            signer_last_name="Signer",
            signer_email=f"it@{customer.domain}",
            accepted_on=started.date(),
            recorded_at=started,
            recorded_by=agent,
            attested_by_partner=partner,
        )
        self.event(AuditAction.AGREEMENT_ATTESTED, agent, partner, customer, started)
        if with_admin and not ended:
            AdminRelationship.objects.create(
                **common,
                roles=[role.value for role in DELEGATED_ADMIN_ROLES],
                granted_at=started + timedelta(hours=1),
            )
            self.event(AuditAction.ADMIN_GRANTED, None, partner, customer, started, customer)
        customer_list_refresh(partner=partner, customer=customer)
        if ended:
            self.event(AuditAction.RESELLER_ENDED, agent, partner, customer, started + timedelta(3))
        elif subscriptions:
            offers = list(Offer.objects.order_by("code"))
            for offer in self.rng.sample(offers, 2):
                quantity = 1 if offer.is_azure else self.rng.choice([5, 10, 25, 40, 120])
                Subscription.objects.create(
                    **common,
                    offer=offer,
                    quantity=quantity,
                    created_at=started + timedelta(days=1),
                    updated_at=started + timedelta(days=1),
                    created_by=agent,
                )
                self.event(
                    AuditAction.SUBSCRIPTION_PURCHASED,
                    agent,
                    partner,
                    customer,
                    started + timedelta(days=1),
                    details={"offer": offer.name, "quantity": quantity},
                )

    def event(self, action, actor, partner, customer, at, actor_tenant=None, details=None):
        AuditEvent.objects.create(
            action=action,
            at=at,
            actor=actor,
            actor_label=actor.get_username() if actor else "",
            actor_tenant=actor_tenant or (partner if actor else customer),
            partner=partner,
            customer=customer,
            details=details or {},
        )

    def requests(self, tenants) -> None:
        """A few relationship requests of Contoso's, in each state a list can show."""
        contoso, people = tenants["contoso"]
        if Invitation.objects.filter(partner=contoso).exists():
            return
        agent = people["sales"]
        for label, days_ago, status, include_admin in [
            ("Northwind Traders", 2, InvitationStatus.PENDING, True),
            ("it@fourthcoffee.example", 12, InvitationStatus.REVOKED, False),
            ("Trey Research (old request)", 120, InvitationStatus.PENDING, True),
        ]:
            created = self.now - timedelta(days=days_ago)
            invitation = Invitation(
                partner=contoso,
                created_by=agent,
                label=label,
                include_admin=include_admin,
                created_at=created,
                expires_at=created + timedelta(days=settings.INVITATION_VALID_DAYS),
                status=status,
            )
            invitation.mint_token()
            if status == InvitationStatus.REVOKED:
                invitation.revoked_at = created + timedelta(days=1)
                invitation.revoked_by = agent
            invitation.save()
            AuditEvent.objects.create(
                action=AuditAction.INVITATION_CREATED,
                at=created,
                actor=agent,
                actor_label=agent.get_username(),
                actor_tenant=contoso,
                partner=contoso,
                invitation=invitation,
            )

    def report(self) -> None:
        self.stdout.write("\nDemo accounts (demo data only; never reuse this password):")
        for _key, name, prefix, *_rest, users in PARTNERS + CUSTOMERS:
            for handle, _first, _last, roles in users:
                login = f"{handle}@{domain_for(prefix)}"
                labels = ", ".join(role.label for role in roles)
                self.stdout.write(f"  {login:44} {name:27} {labels}")
        self.stdout.write(f"  {'operator':44} {'(Django admin, /operators/)':27} superuser")
        self.stdout.write(f"\nPassword for every demo account: {DEMO_PASSWORD}\n")
