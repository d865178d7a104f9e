"""The demo's organizations and people: the ones no service makes (the partners, the customers
a request needs before any relationship, the demo accounts and the operator), and the run they
are made in."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from tenancy.demo.data import ADDRESSES, CUSTOMERS, PARTNERS
from tenancy.models import Membership, MembershipRole, Role, Tenant, TenantKind, domain_for

User = get_user_model()


@dataclass
class Demo:
    """One run of the seed: when it runs, its seeded random, the demo accounts' password (hashed
    once: a hash takes most of a second, on purpose), and the organizations of the tables by
    key, with their people by handle."""

    now: datetime
    rng: random.Random
    password: str
    tenants: dict[str, Tenant] = field(default_factory=dict)
    people: dict[str, dict] = field(default_factory=dict)
    roles: dict[str, dict[str, list[Role]]] = field(default_factory=dict)

    def ago(self, days: float = 0, hours: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours)

    def holder(self, key: str, role: Role):
        """The first of the organization's demo people who holds `role`: who acts in a service
        that checks it."""
        return next(
            self.people[key][handle] for handle, held in self.roles[key].items() if role in held
        )


def tenant(prefix: str, *, with_address: bool, **fields) -> Tenant:
    """An organization no service makes (a partner, or a customer before any relationship)."""
    line1, city, region, postal = ADDRESSES.get(fields["country_id"], ADDRESSES["US"])
    if with_address:
        fields |= {"address_line1": line1, "city": city, "region": region, "postal_code": postal}
    found, _ = Tenant.objects.get_or_create(domain=domain_for(prefix), defaults=fields)
    return found


def members(demo: Demo, organization: Tenant, users) -> dict:
    """The demo accounts of `organization`, signing in with the published password (also the
    Global administrator a service made, once it is one of them)."""
    people = {}
    for handle, first, last, roles in users:
        username = f"{handle}@{organization.domain}"
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"email": username, "first_name": first, "last_name": last},
        )
        user.password = demo.password
        user.save(update_fields=["password"])
        membership, _ = Membership.objects.get_or_create(
            user=user, defaults={"tenant": organization}
        )
        if membership.must_change_password:
            membership.must_change_password = False
            membership.save(update_fields=["must_change_password"])
        for role in roles:
            MembershipRole.objects.get_or_create(membership=membership, role=role)
        if (
            organization.is_customer
            and not organization.contact_email
            and Role.CUSTOMER_GLOBAL_ADMIN in roles
        ):
            Tenant.objects.filter(pk=organization.pk).update(
                contact_first_name=first, contact_last_name=last, contact_email=username
            )
        people[handle] = user
    return people


def cast(demo: Demo) -> None:
    """The partners and the customers of the tables, with their people."""
    for key, name, prefix, country, cloud, mpn_id, csp_role, users in PARTNERS:
        organization = tenant(
            prefix,
            kind=TenantKind.PARTNER,
            name=name,
            country_id=country,
            cloud=cloud,
            mpn_id=mpn_id,
            csp_role=csp_role,
            with_address=True,
        )
        enrol(demo, key, organization, users)
    for key, name, prefix, country, cloud, with_address, users in CUSTOMERS:
        organization = tenant(
            prefix,
            kind=TenantKind.CUSTOMER,
            name=name,
            country_id=country,
            cloud=cloud,
            with_address=with_address,
        )
        enrol(demo, key, organization, users)
    operator(demo)


def enrol(demo: Demo, key: str, organization: Tenant, users) -> None:
    demo.tenants[key] = organization
    demo.people[key] = members(demo, organization, users)
    demo.roles[key] = {handle: roles for handle, _first, _last, roles in users}


def operator(demo: Demo) -> None:
    user, _ = User.objects.get_or_create(
        username="operator", defaults={"is_staff": True, "is_superuser": True}
    )
    user.password = demo.password
    user.save(update_fields=["password"])


def global_administrator(customer: Tenant):
    """The customer's first Global administrator: who answers a request for it."""
    return (
        Membership.objects.filter(tenant=customer, role_rows__role=Role.CUSTOMER_GLOBAL_ADMIN)
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
        .user
    )
