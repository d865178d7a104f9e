"""Demo data: partners, customers, agents and history to click through. Safe to run again."""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation

from tenancy.effects.customer_list import customer_list_refresh
from tenancy.models import (
    DEFAULT_AUTO_EXTEND,
    DEFAULT_DAYS,
    DEFAULT_ROLES,
    ENTRA_ROLES,
    AcceptanceMethod,
    AdminRelationship,
    AdminRelationshipStatus,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Cloud,
    Country,
    CspRole,
    FormedBy,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Offer,
    Partnership,
    ResellerRelationship,
    Role,
    SecurityGroup,
    Subscription,
    Tenant,
    TenantKind,
    domain_for,
)
from tenancy.services import (
    AdminRequest,
    Attestation,
    CustomerDetails,
    Signer,
    access_assignment_create,
    admin_relationship_create,
    admin_relationship_withdraw,
    customer_add,
    invitation_accept,
    invitation_create,
    partnership_answer,
    partnership_request,
    security_group_create,
    security_group_member_add,
    subscription_purchase,
)
from tenancy.services.admin_relationships import default_name
from tenancy.text import possessive

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
        CspRole.DIRECT,
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
    # Two tiers in the US: an indirect provider and two indirect resellers it partners with.
    # (`proseware` is a customer of Contoso's already, so Proseware Solutions has a longer prefix.)
    (
        "tailwind",
        "Tailwind Distribution",
        "tailwinddist",
        "US",
        Cloud.PUBLIC,
        5300117,
        CspRole.INDIRECT_PROVIDER,
        [
            ("admin", "Theo", "Walsh", [Role.GLOBAL_ADMIN]),
            ("agent", "Tara", "Nguyen", [Role.ADMIN_AGENT, Role.SALES_AGENT]),
        ],
    ),
    (
        "proseware",
        "Proseware Solutions",
        "prosewaresolutions",
        "US",
        Cloud.PUBLIC,
        5300241,
        CspRole.INDIRECT_RESELLER,
        [
            ("admin", "Priya", "Shah", [Role.GLOBAL_ADMIN]),
            ("sales", "Paul", "Osei", [Role.SALES_AGENT]),
        ],
    ),
    (
        "wingtip",
        "Wingtip Computing",
        "wingtip",
        "US",
        Cloud.PUBLIC,
        5300388,
        CspRole.INDIRECT_RESELLER,
        [
            ("admin", "Wendy", "Carter", [Role.GLOBAL_ADMIN]),
            ("sales", "Will", "Moreno", [Role.SALES_AGENT]),
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

# US customers the indirect resellers brought in with a two-tier request naming Tailwind
# Distribution, accepted by the customer's Global administrator: each is Tailwind's (reseller of
# record) and the reseller's through it.
# reseller key, name, prefix, admin permissions in the request, (first, last) of its admin
TWO_TIER_CUSTOMERS = [
    ("proseware", "Lakeshore Retail", "lakeshoreretail", True, ("Laura", "Bennett")),
    ("proseware", "Fincher Architects", "fincherarchitects", False, ("Felix", "Okafor")),
    ("proseware", "Munson's Pickles", "munsonspickles", False, ("Molly", "Munson")),
    ("wingtip", "Nod Publishers", "nodpublishers", False, ("Nora", "Quinn")),
]
# A customer Tailwind added itself (Add customer), naming Proseware as the indirect reseller.
TWO_TIER_ADDED = ("proseware", "First Up Consultants", "firstupconsultants", ("Frank", "Ueda"))
# Wingtip's two-tier request nobody has answered: a customer with no partner yet (Northwind
# Traders) can accept it in a demo.
TWO_TIER_PENDING = ("wingtip", "Baldwin Museum of Science")

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

S = AdminRelationshipStatus
# Looked up by the roles' English names, whatever language is active.
with translation.override("en"):
    ROLE = {str(role.name): role.id for role in ENTRA_ROLES.values()}
SUPPORT_ROLES = [
    ROLE[name]
    for name in (
        "Directory Readers",
        "Service Support Administrator",
        "Helpdesk Administrator",
        "User Administrator",
        "License Administrator",
    )
]
# Book customers that show one of Contoso's admin relationships each, so they get no default one.
ADMIN_SHOWCASE = {
    "Relecloud",
    "Proseware",
    "Wide World Importers",
    "Wingtip Toys",
    "Bellows College",
    "City Power & Light",
}
# Book customers with a demo account of their own: Relecloud's Global administrator sees
# Contoso's active admin relationship from the customer's side.
BOOK_ACCOUNTS = [
    ("Relecloud", [("admin", "Rachel", "Kim", [Role.CUSTOMER_GLOBAL_ADMIN])]),
]
HELPDESK_GROUP = "Helpdesk \N{EN DASH} tier 1"


def book_prefix(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())[:40]


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
        # Hashed once for every demo account: a hash takes most of a second, on purpose.
        self.password = make_password(DEMO_PASSWORD)
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
            self.admin_relationships(tenants)
            self.requests(tenants)
            self.two_tier(tenants)
        self.report(tenants)

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
            user.password = self.password
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
        user.password = self.password
        user.save(update_fields=["password"])

    def book_of_business(self, tenants) -> None:
        """Some 50 customers of Contoso, a few of Fabrikam and Tailspin, with their history."""
        contoso, contoso_people = tenants["contoso"]
        names = [f"{base}{suffix}" for suffix in BOOK_SUFFIXES for base in BOOK_NAMES]
        for index, name in enumerate(names):
            customer = self.tenant(
                book_prefix(name),
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
                with_admin=index % 3 != 0 and name not in ADMIN_SHOWCASE,
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
            # What "Include delegated administration permissions" grants: the default roles,
            # two years, extended automatically.
            approved = started + timedelta(hours=1)
            admin = AdminRelationship(
                **common,
                roles=list(DEFAULT_ROLES),
                duration_days=DEFAULT_DAYS,
                auto_extend=DEFAULT_AUTO_EXTEND,
                status=S.ACTIVE,
                created_at=started,
                created_by=agent,
                finalized_at=started,
                finalized_by=agent,
                approved_at=approved,
                ends_at=approved + timedelta(days=DEFAULT_DAYS),
            )
            admin.name = default_name(admin, customer)
            admin.save(force_insert=True)
            self.event(
                AuditAction.ADMIN_APPROVED,
                None,
                partner,
                customer,
                approved,
                customer,
                details=self.admin_details(admin),
            )
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

    def admin_relationships(self, tenants) -> None:
        """Contoso's admin relationships, one in each state the pages show, and a security group
        whose members (the Helpdesk and Sales agents) hold Helpdesk Administrator and License
        Administrator in the active one's customer; Tailspin's request waits in the Microsoft
        Office Admin portal."""
        contoso, people = tenants["contoso"]
        agent = people["adminagent"]
        book = {
            name: Tenant.objects.get(domain=domain_for(book_prefix(name)))
            for name in ADMIN_SHOWCASE
        }
        relecloud_admin = self.book_accounts()["Relecloud"]["admin"]

        # What a partner does today goes through the services.
        self.admin_request(contoso, agent, "Teams rollout", ["Teams Administrator"], 120)
        self.admin_request(
            contoso,
            agent,
            "Northwind Traders - support",
            SUPPORT_ROLES,
            DEFAULT_DAYS,
            auto_extend=True,
            customer=tenants["northwind"][0],
            finalize=True,
        )
        withdrawn = self.admin_request(
            contoso,
            agent,
            "City Power & Light - audit",
            ["Global Reader"],
            30,
            customer=book["City Power & Light"],
            finalize=True,
        )
        if withdrawn is not None:
            admin_relationship_withdraw(relationship=withdrawn, withdrawn_by=agent)
        tailspin, tailspin_people = tenants["tailspin"]
        self.admin_request(
            tailspin,
            tailspin_people["adminagent"],
            "Springfield Public Works - helpdesk",
            ["Directory Readers", "Helpdesk Administrator"],
            180,
            customer=tenants["springfield"][0],
            finalize=True,
        )

        # Answers given in the past: written as the services would have written them then.
        active = self.answered(
            contoso,
            agent,
            "Relecloud - licences and helpdesk",
            book["Relecloud"],
            SUPPORT_ROLES,
            365,
            asked=62,
            answered=60,
            answered_by=relecloud_admin,
        )
        self.answered(
            contoso,
            agent,
            "Proseware - Exchange project",
            book["Proseware"],
            [ROLE["Directory Readers"], ROLE["Exchange Administrator"]],
            90,
            asked=72,
            answered=70,
        )
        self.answered(
            contoso,
            agent,
            "Wide World Importers - migration",
            book["Wide World Importers"],
            [ROLE["Global Administrator"], ROLE["Exchange Administrator"]],
            180,
            asked=203,
            answered=200,
        )
        self.answered(
            contoso,
            agent,
            "Wingtip Toys - billing",
            book["Wingtip Toys"],
            [ROLE["Billing Administrator"], ROLE["License Administrator"]],
            180,
            asked=15,
            answered=14,
            status=S.DECLINED,
        )
        self.answered(
            contoso,
            agent,
            "Bellows College - security review",
            book["Bellows College"],
            [ROLE["Security Reader"], ROLE["Security Administrator"]],
            365,
            asked=122,
            answered=120,
            terminated=30,
        )

        if not SecurityGroup.objects.filter(partner=contoso, name=HELPDESK_GROUP).exists():
            group = security_group_create(
                partner=contoso,
                name=HELPDESK_GROUP,
                created_by=agent,
                description="First-line support: password resets, users and licences.",
            )
            for handle in ("helpdesk", "sales"):
                security_group_member_add(
                    group=group,
                    membership=Membership.objects.get(user=people[handle]),
                    added_by=agent,
                )
            access_assignment_create(
                relationship=active,
                group=group,
                roles=[ROLE["Helpdesk Administrator"], ROLE["License Administrator"]],
                created_by=agent,
            )

    def admin_request(
        self, partner, agent, name, roles, days, *, auto_extend=False, customer=None, finalize=False
    ) -> AdminRelationship | None:
        """A request made now, through the service; None when the demo already has it."""
        if AdminRelationship.objects.filter(partner=partner, name=name).exists():
            return None
        return admin_relationship_create(
            partner=partner,
            created_by=agent,
            request=AdminRequest(
                name=name,
                duration_days=days,
                roles=[ROLE.get(role, role) for role in roles],
                auto_extend=auto_extend,
            ),
            customer=customer,
            finalize=finalize,
        )

    def answered(
        self,
        partner,
        agent,
        name,
        customer,
        roles,
        days,
        *,
        asked,
        answered,
        answered_by=None,
        status=S.ACTIVE,
        terminated=None,
    ) -> AdminRelationship:
        """A request finalized `asked` days ago and approved (or declined) `answered` days ago;
        terminated by the partner `terminated` days ago when given."""
        existing = AdminRelationship.objects.filter(partner=partner, name=name).first()
        if existing is not None:
            return existing
        asked_at = self.now - timedelta(days=asked)
        answered_at = self.now - timedelta(days=answered)
        relationship = AdminRelationship(
            partner=partner,
            customer=customer,
            name=name,
            roles=sorted(set(roles)),
            duration_days=days,
            status=status,
            created_at=asked_at,
            created_by=agent,
            finalized_at=asked_at,
            finalized_by=agent,
        )
        relationship.mint_token()
        details = self.admin_details(relationship)
        self.event(AuditAction.ADMIN_CREATED, agent, partner, customer, asked_at, details=details)
        self.event(AuditAction.ADMIN_FINALIZED, agent, partner, customer, asked_at, details=details)
        if status == S.DECLINED:
            relationship.closed_at = answered_at
            relationship.closed_by = answered_by
            relationship.closed_by_tenant = customer
            action = AuditAction.ADMIN_DECLINED
        else:
            relationship.approved_at = answered_at
            relationship.approved_by = answered_by
            relationship.ends_at = answered_at + timedelta(days=days)
            action = AuditAction.ADMIN_APPROVED
        self.event(action, answered_by, partner, customer, answered_at, customer, details)
        if terminated is not None:
            relationship.status = S.TERMINATED
            relationship.closed_at = self.now - timedelta(days=terminated)
            relationship.closed_by = agent
            relationship.closed_by_tenant = partner
            self.event(
                AuditAction.ADMIN_TERMINATED,
                agent,
                partner,
                customer,
                relationship.closed_at,
                details=details | {"side": "partner"},
            )
        relationship.save(force_insert=True)
        customer_list_refresh(partner=partner, customer=customer)
        return relationship

    @staticmethod
    def admin_details(relationship: AdminRelationship) -> dict:
        return {
            "relationship": str(relationship.id),
            "name": relationship.name,
            "roles": relationship.roles,
        }

    def book_accounts(self) -> dict:
        accounts = {}
        for name, users in BOOK_ACCOUNTS:
            customer = Tenant.objects.get(domain=domain_for(book_prefix(name)))
            accounts[name] = self.members(customer, users)
        return accounts

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

    def two_tier(self, tenants) -> None:
        """Tailwind Distribution's partnerships with Proseware and Wingtip, the customers they
        share, a subscription Tailwind bought on Proseware's behalf and a request of Wingtip's
        still open: all made through the services, as the partners and customers would."""
        tailwind, tailwind_people = tenants["tailwind"]
        for key in ("proseware", "wingtip"):
            reseller, people = tenants[key]
            partnership = (
                Partnership.objects.open().filter(provider=tailwind, reseller=reseller).first()
            )
            if partnership is None:
                partnership = partnership_request(
                    provider=tailwind, reseller=reseller, requested_by=tailwind_people["admin"]
                )
            if partnership.is_pending:
                partnership_answer(
                    partnership=partnership, answered_by=people["admin"], accept=True
                )

        for key, name, prefix, include_admin, (first, last) in TWO_TIER_CUSTOMERS:
            reseller, people = tenants[key]
            customer = self.tenant(
                prefix,
                kind=TenantKind.CUSTOMER,
                name=name,
                country_id="US",
                cloud=Cloud.PUBLIC,
                with_address=True,
            )
            admin = self.members(customer, [("admin", first, last, [Role.CUSTOMER_GLOBAL_ADMIN])])
            if ResellerRelationship.objects.between(reseller, customer).exists():
                continue
            invitation = invitation_create(
                partner=reseller,
                created_by=people["sales"],
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
        reseller = tenants[key][0]
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
        self.members(customer, [("admin", first, last, [Role.CUSTOMER_GLOBAL_ADMIN])])
        Membership.objects.filter(user__username=login).update(must_change_password=False)

        proseware = tenants["proseware"][0]
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
        reseller, people = tenants[key]
        if not Invitation.objects.filter(partner=reseller, label=label).exists():
            invitation_create(
                partner=reseller,
                created_by=people["sales"],
                include_admin=True,
                label=label,
                indirect_provider=tailwind,
            )

    def report(self, tenants) -> None:
        self.stdout.write("\nDemo accounts (demo data only; never reuse this password):")
        accounts = [(name, prefix, users) for _key, name, prefix, *_rest, users in PARTNERS]
        accounts += [(name, prefix, users) for _key, name, prefix, *_rest, users in CUSTOMERS]
        accounts += [(name, book_prefix(name), users) for name, users in BOOK_ACCOUNTS]
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
                self.stdout.write(f"  {login:44} {name:27} {labels}")
        self.stdout.write(f"  {'operator':44} {'(Django admin, /operators/)':27} superuser")
        self.stdout.write(f"\nPassword for every demo account: {DEMO_PASSWORD}\n")
        contoso = tenants["contoso"][0]
        self.stdout.write(
            f"{possessive(contoso.name)} admin relationships (besides its customers' default ones):"
        )
        showcase = (
            AdminRelationship.objects.filter(partner=contoso)
            .exclude(name__startswith="Default roles - ")
            .select_related("customer")
            .order_by("name")
        )
        for relationship in showcase:
            customer = relationship.customer.name if relationship.customer else "(any customer)"
            status = relationship.display_status(self.now).label
            self.stdout.write(f"  {relationship.name:36} {status:17} {customer}")
        demo_partners = [tenant for tenant, _people in tenants.values() if tenant.is_partner]
        pending = (
            AdminRelationship.objects.with_status(S.APPROVAL_PENDING, self.now)
            .filter(partner__in=demo_partners, customer__isnull=False)
            .select_related("partner", "customer")
        )
        for relationship in pending.order_by("name"):
            self.stdout.write(
                f"\nTo approve “{relationship.name}” (a Global administrator of "
                f"{relationship.customer.name}), open:\n  {relationship.link()}"
            )
        key, label = TWO_TIER_PENDING
        invitation = (
            Invitation.objects.filter(partner=tenants[key][0], label=label)
            .select_related("partner", "indirect_provider")
            .first()
        )
        if invitation is not None and invitation.is_open:
            northwind = f"admin@{domain_for('northwindtraders')}"
            self.stdout.write(
                f"\nTo accept {possessive(invitation.partner.name)} two-tier request (through "
                f"{invitation.indirect_provider.name}) as a customer with no partner yet "
                f"({northwind}), open:\n  {invitation.link()}"
            )
