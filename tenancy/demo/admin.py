"""Contoso's admin relationships, one in each state the pages show, and a security group whose
members (the Helpdesk and Sales agents) hold Helpdesk Administrator and License Administrator in
the active one's customer; Tailspin's request waits in the Microsoft Office Admin portal. Made
by the services, as the partners' Admin agents and the customers' Global administrators would
have made them, on the days they did."""

from tenancy.demo.cast import Demo, global_administrator
from tenancy.demo.data import (
    ACTIVE,
    ANSWERED,
    HELPDESK_GROUP,
    REQUESTED,
    TAILSPIN_REQUEST,
    WITHDRAWN,
    book_prefix,
    roles,
)
from tenancy.models import AdminRelationship, Membership, Role, SecurityGroup, Tenant, domain_for
from tenancy.services import (
    AdminRequest,
    access_assignment_create,
    admin_relationship_approve,
    admin_relationship_create,
    admin_relationship_decline,
    admin_relationship_terminate,
    admin_relationship_withdraw,
    security_group_create,
    security_group_member_add,
)


def admin_relationships(demo: Demo) -> None:
    contoso, agent = demo.tenants["contoso"], demo.holder("contoso", Role.ADMIN_AGENT)
    for name, names, days, auto_extend, customer, finalize in REQUESTED:
        relationship = admin_request(
            demo,
            "contoso",
            name,
            names,
            days,
            auto_extend=auto_extend,
            customer=None if customer is None else customer_named(demo, customer),
            finalize=finalize,
        )
        if relationship is not None and name == WITHDRAWN:
            admin_relationship_withdraw(relationship=relationship, withdrawn_by=agent)
    name, names, days, customer = TAILSPIN_REQUEST
    admin_request(
        demo, "tailspin", name, names, days, customer=demo.tenants[customer], finalize=True
    )

    for name, customer, names, days, asked, answered, declined, terminated in ANSWERED:
        if AdminRelationship.objects.filter(partner=contoso, name=name).exists():
            continue
        customer = book_customer(customer)
        relationship = admin_request(
            demo, "contoso", name, names, days, customer=customer, finalize=True, ago=asked
        )
        answer = admin_relationship_decline if declined else admin_relationship_approve
        relationship = answer(
            relationship_id=relationship.pk,
            user=global_administrator(customer),
            portal_cloud=customer.cloud,
            now=demo.ago(answered),
        )
        if terminated is not None:
            admin_relationship_terminate(
                relationship=relationship,
                terminated_by=agent,
                by=contoso,
                now=demo.ago(terminated),
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
                membership=Membership.objects.get(user=demo.people["contoso"][handle]),
                added_by=agent,
            )
        access_assignment_create(
            relationship=AdminRelationship.objects.get(partner=contoso, name=ACTIVE),
            group=group,
            roles=roles(["Helpdesk Administrator", "License Administrator"]),
            created_by=agent,
        )


def admin_request(
    demo: Demo,
    key: str,
    name: str,
    names,
    days: int,
    *,
    auto_extend: bool = False,
    customer: Tenant | None = None,
    finalize: bool = False,
    ago: int | None = None,
) -> AdminRelationship | None:
    """A request of the partner's Admin agent, made `ago` days ago (today when None); None when
    the demo already has it."""
    partner = demo.tenants[key]
    if AdminRelationship.objects.filter(partner=partner, name=name).exists():
        return None
    return admin_relationship_create(
        partner=partner,
        created_by=demo.holder(key, Role.ADMIN_AGENT),
        request=AdminRequest(
            name=name, duration_days=days, roles=roles(names), auto_extend=auto_extend
        ),
        customer=customer,
        finalize=finalize,
        now=None if ago is None else demo.ago(ago),
    )


def customer_named(demo: Demo, key: str) -> Tenant:
    """A customer of the tables by key, or of Contoso's book by name."""
    return demo.tenants[key] if key in demo.tenants else book_customer(key)


def book_customer(name: str) -> Tenant:
    return Tenant.objects.get(domain=domain_for(book_prefix(name)))
