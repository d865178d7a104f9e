"""Who can do what, where: an agent's roles in each customer and the way it holds each (security
group → access assignment → admin relationship → its end), a customer's agents and theirs, and
what a template would give once a customer approves; each as a page section and as CSV. Every
one reads `tenancy.selectors.access_trace`, the rule `services.agent_roles_in` applies, in a
fixed number of queries."""

from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from partner_center.access import partner_view
from partner_center.exports import csv_response
from tenancy import selectors
from tenancy.models import TemplateVersion
from tenancy.rules import Action
from tenancy.selectors import access_trace
from tenancy.web.http import PartnerRequest

# The agent's page lists this many customers; the CSV has them all.
PAGE_CUSTOMERS = 500


def _end(path) -> str:
    if path.auto_extend:
        # Translators: in the access CSV, after an admin relationship's end date: its end moves on
        # by itself.
        return _("extends automatically")
    return ""


def _translated_rows(rows):
    """The CSV's rows, written after the view has returned: in the request's language."""
    language = translation.get_language()

    def generate():
        with translation.override(language):
            yield from rows()

    return generate()


def _path_rows(paths):
    """One line per role held, with the path it is held through."""
    for path in paths:
        for role in path.role_infos:
            yield [
                path.username,
                path.customer.name,
                path.customer.pk,
                role.name,
                path.group.name,
                path.relationship.name,
                path.relationship.pk,
                path.ends_at.date().isoformat(),
                _end(path),
                ", ".join(access_trace.task_labels_for([role.id])),
            ]


def _path_header() -> list[str]:
    return [
        _("User name"),
        _("Customer"),
        _("Microsoft ID"),
        _("Role"),
        _("Security group"),
        _("Admin relationship"),
        _("Admin relationship ID"),
        _("Ends on"),
        _("Auto extend"),
        _("Allows"),
    ]


# --- An agent's access -----------------------------------------------------------------------


@require_GET
@partner_view(Action.VIEW_CUSTOMERS)
def agent_access(request: PartnerRequest, membership_id: int):
    """Every customer where the agent holds roles, each role with its path, and what the roles
    allow there. Anyone sees their own; Global admins and Admin agents see anyone's."""
    agent = access_trace.agent_access_of(request.membership, membership_id)
    customers = access_trace.by_customer(
        access_trace.access_paths(partner=request.partner, membership=agent)
    )
    return render(
        request,
        "partner_center/access/agent.html",
        {
            "agent": agent,
            "own": agent.pk == request.membership.pk,
            "customers": customers[:PAGE_CUSTOMERS],
            "customer_count": len(customers),
            "cut": len(customers) > PAGE_CUSTOMERS,
            "page_customers": PAGE_CUSTOMERS,
            "may_see_others": access_trace.may_see_others_access(request.membership),
        },
    )


@require_GET
@partner_view(Action.VIEW_CUSTOMERS)
def agent_access_export(request: PartnerRequest, membership_id: int):
    agent = access_trace.agent_access_of(request.membership, membership_id)

    def rows():
        yield from _path_rows(access_trace.access_paths(partner=request.partner, membership=agent))

    return csv_response(f"access-user-{agent.pk}.csv", _path_header(), _translated_rows(rows))


# --- A customer's agents ---------------------------------------------------------------------


@require_GET
@partner_view(Action.VIEW_CUSTOMERS)
def customer_access_export(request: PartnerRequest, customer_id):
    customer = selectors.customer_of(request.partner, customer_id)

    def rows():
        yield from _path_rows(access_trace.access_paths(partner=request.partner, customer=customer))

    return csv_response(f"access-{customer.domain}.csv", _path_header(), _translated_rows(rows))


# --- If approved -----------------------------------------------------------------------------


def if_approved(version: TemplateVersion | None) -> access_trace.IfApproved | None:
    """What a template's version would give once a customer approves: one query."""
    return access_trace.if_approved(version) if version is not None else None


@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def template_if_approved_export(request: PartnerRequest, template_id):
    template = selectors.template_of(request.partner, template_id)
    prospect = access_trace.if_approved(template.latest)
    header = [_("User name"), _("Role"), _("Security group"), _("Allows")]

    def rows():
        for agent in prospect.agents:
            for path in agent.paths:
                for role in path.role_infos:
                    yield [
                        agent.username,
                        role.name,
                        path.group.name,
                        ", ".join(access_trace.task_labels_for([role.id])),
                    ]

    filename = f"if-approved-{template.pk}-v{template.latest.number}.csv"
    return csv_response(filename, header, _translated_rows(rows))
