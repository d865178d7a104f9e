"""Contoso's admin relationship templates and what came of them: the default template (edited
once, so it has two versions) and a helpdesk one; requests made from them one customer at a time,
waiting for approval since 2 to 60 days, one lapsed unanswered, one approved (its mappings gave
the security groups their roles, one assignment not made: the group had no members yet); a bulk
request from the default template days ago, with requests made, lines skipped and one failed; and
the automatic reminders the waiting requests were sent on the days they fell due. Made by the
services, as Contoso's Admin agent, the task worker and the customers' Global administrators did,
on the days they did."""

from datetime import timedelta

from django.conf import settings

from tenancy.demo.admin import book_customer, customer_named
from tenancy.demo.cast import Demo, global_administrator
from tenancy.demo.data import (
    BULK_CUSTOMERS,
    BULK_REQUEST_DAYS,
    BULK_TYPED,
    LEAST_PRIVILEGE,
    SECURITY_GROUP,
    TEMPLATE_REQUESTS,
    TEMPLATES,
    roles,
)
from tenancy.entra_roles import REQUEST_VALID_DAYS
from tenancy.models import (
    AdminRelationship,
    AdminRelationshipStatus,
    AdminRelationshipTemplate,
    BulkJob,
    BulkJobKind,
    Membership,
    Role,
    SecurityGroup,
    Tenant,
)
from tenancy.services import (
    AdminRequest,
    Selection,
    TemplateContent,
    admin_relationship_approve,
    admin_relationship_create,
    bulk_request_start,
    security_group_create,
    template_create,
    template_update,
)
from tenancy.services.bulk_items import run_items
from tenancy.services.chasing import waiting_reminders


def templates(demo: Demo) -> None:
    contoso, agent = demo.tenants["contoso"], demo.holder("contoso", Role.ADMIN_AGENT)
    if not SecurityGroup.objects.filter(partner=contoso, name=SECURITY_GROUP).exists():
        security_group_create(
            partner=contoso,
            name=SECURITY_GROUP,
            created_by=agent,
            description="Security reviews and incident response (members to be added).",
        )
    groups = {group.name: group for group in SecurityGroup.objects.filter(partner=contoso)}
    made = {
        name: template(demo, contoso, agent, name, description, versions, groups)
        for name, description, versions in TEMPLATES
    }
    for name, template_name, number, customer, asked, approved in TEMPLATE_REQUESTS:
        if AdminRelationship.objects.filter(partner=contoso, name=name).exists():
            continue
        version = made[template_name].versions.get(number=number)
        customer = customer_named(demo, customer)
        relationship = admin_relationship_create(
            partner=contoso,
            created_by=agent,
            request=AdminRequest(
                name=name,
                duration_days=version.duration_days,
                roles=version.roles,
                auto_extend=version.auto_extend,
            ),
            customer=customer,
            finalize=True,
            template_version=version,
            now=demo.ago(asked),
        )
        if approved is not None:
            # The mappings become access assignments in the approval's transaction.
            admin_relationship_approve(
                relationship_id=relationship.pk,
                user=global_administrator(customer),
                portal_cloud=customer.cloud,
                now=demo.ago(approved),
            )
    if not BulkJob.objects.filter(partner=contoso, kind=BulkJobKind.REQUEST).exists():
        bulk_request(demo, agent, made[LEAST_PRIVILEGE])
    reminders_as_they_fell_due(demo)


def template(demo: Demo, partner: Tenant, agent, name, description, versions, groups):
    """The template as its versions were saved, each on its day (found when the demo has it)."""
    found = AdminRelationshipTemplate.objects.filter(partner=partner, name=name).first()
    if found is not None:
        return found
    for days_ago, names, days, auto_extend, mapped in versions:
        content = TemplateContent(
            name=name,
            roles=roles(names),
            duration_days=days,
            auto_extend=auto_extend,
            description=description,
            mappings=[(groups[group], roles(given)) for group, given in mapped.items()],
        )
        if found is None:
            found = template_create(
                partner=partner, created_by=agent, content=content, now=demo.ago(days_ago)
            )
        else:
            found = template_update(
                template=found, changed_by=agent, content=content, now=demo.ago(days_ago)
            )
    return found


def bulk_request(demo: Demo, agent, template: AdminRelationshipTemplate) -> BulkJob:
    """The Admin agent pastes a list and starts a bulk request from the template's latest
    version; the worker runs it to its end that day."""
    lines = [
        str(customer.pk) if by == "id" else customer.domain
        for customer, by in ((book_customer(name), by) for name, by in BULK_CUSTOMERS)
    ]
    started = demo.ago(BULK_REQUEST_DAYS, hours=2)
    job = bulk_request_start(
        membership=Membership.objects.get(user=agent),
        selection=Selection(pasted="\n".join([*lines, *BULK_TYPED])),
        version=template.latest,
        # Each request emailed to the customer's Global administrators: one customer has none
        # with an address, so its request fails (and is not made).
        send_email=True,
        now=started,
    )
    # The job's step, once this transaction commits, finds it done and does nothing: it is run
    # here, as the worker ran it that day.
    run_items(job, now=started + timedelta(seconds=3))
    job.refresh_from_db()
    return job


def reminders_as_they_fell_due(demo: Demo) -> None:
    """Each waiting request was sent to its customer again when it had waited
    ADMIN_REQUEST_REMINDER_DAYS, by the daily `admin_relationship_reminders`: run on each of
    those days (a notice per reminder, so a second run, or today's, sends none of them again)."""
    waiting = AdminRelationship.objects.filter(
        status=AdminRelationshipStatus.APPROVAL_PENDING,
        customer__isnull=False,
        finalized_at__lt=demo.now,
    ).values_list("finalized_at", flat=True)
    due = {
        finalized + timedelta(days=days)
        for finalized in waiting
        for days in settings.ADMIN_REQUEST_REMINDER_DAYS
        if days < REQUEST_VALID_DAYS and finalized + timedelta(days=days) <= demo.now
    }
    for moment in sorted(due):
        waiting_reminders(now=moment)
