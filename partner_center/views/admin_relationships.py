"""Partner Center: admin relationships (GDAP) — request, finalize, send, withdraw, terminate —,
the roles each security group holds on them (access assignments), and the security groups of
the partner's own users. Views parse input, call a service in `tenancy`, and render."""

import functools
import uuid
from urllib.parse import quote

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partner_center.access import PAGE_SIZE, partner_view, posted
from partner_center.admin_forms import (
    GLOBAL_ADMINISTRATOR_WARNING,
    AccessAssignmentEditForm,
    AccessAssignmentForm,
    AdminRelationshipFilterForm,
    AdminRelationshipForm,
    SendForm,
    add_problems,
    customer_for_request,
)
from tenancy import rules, selectors, services
from tenancy.entra_roles import GLOBAL_ADMINISTRATOR
from tenancy.language import country_language
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AdminRelationshipStatus,
    SecurityGroup,
    TemplateVersion,
)
from tenancy.paging import keyset_page
from tenancy.prepared import Prepared
from tenancy.rules import Action
from tenancy.web import fragments
from tenancy.web.http import PartnerRequest

IN_FORCE = (AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.EXPIRING)


def _names(relationship: AdminRelationship, **values) -> dict:
    """The placeholders of a message about `relationship`: its customer's name, and `values`."""
    return {"customer": relationship.customer.name if relationship.customer else "", **values}


def _now_has(group: SecurityGroup, relationship: AdminRelationship, role_names: list) -> str:
    """ "Helpdesk now has Directory Readers, User Administrator in Contoso." """
    names = _names(relationship, group=group.name, roles=", ".join(role_names))
    if relationship.customer and role_names:
        # Translators: %(roles)s lists Microsoft Entra roles, "Directory Readers, User
        # Administrator"; %(group)s is a security group, %(customer)s a company.
        message = _("%(group)s now has %(roles)s in %(customer)s.")
    elif role_names:
        # Translators: %(roles)s lists Microsoft Entra roles; %(group)s is a security group.
        message = _("%(group)s now has %(roles)s in the customer.")
    elif relationship.customer:
        message = _("%(group)s now has no roles in %(customer)s.")
    else:
        message = _("%(group)s now has no roles in the customer.")
    return message % names


@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def admin_relationship_list(request: PartnerRequest):
    form = AdminRelationshipFilterForm(request.GET or None)
    relationships = AdminRelationship.objects.filter(partner=request.partner)
    now = timezone.now()
    searching = False
    first = functools.partial(_FIRST_RELATIONSHIPS.all, partner=request.partner.pk)
    if form.is_bound:
        first = None
        form.is_valid()  # each valid field still filters when another one isn't
        data = form.cleaned_data
        if status := data.get("status"):
            relationships = relationships.with_status(AdminRelationshipStatus(status), now)
        if q := data.get("q", "").strip():
            searching = True
            relationships = relationships.filter(
                Q(name__icontains=q) | Q(customer__name__icontains=q)
            )
    page = keyset_page(
        relationships,
        named=ADMIN_RELATIONSHIP_ROW,
        order=ADMIN_RELATIONSHIP_ORDER,
        cursor=request.GET.get("cursor"),
        size=PAGE_SIZE,
        first=first,
    )
    return fragments.kept_page(
        request,
        "partner_center/admin_relationships/list.html",
        "admin-relationships",
        fragments.stamp(page),
        lambda: _admin_relationship_rows(request, form, page, searching, now),
    )


# What a row of Admin relationships shows, and what its status and end are read from: read as
# values each time; the part below the page's header is kept under their stamp and rendered
# from them (tenancy.web.fragments).
ADMIN_RELATIONSHIP_ROW = (
    "id",
    "name",
    "customer",
    "customer__name",
    "status",
    "roles",
    "ends_at",
    "auto_extend",
    "closed_at",
    "duration_days",
    "finalized_at",
    "created_at",
)


ADMIN_RELATIONSHIP_ORDER = ["-created_at", "-id"]
# The first page of them all, what the page shows first: its query compiled once.
_FIRST_RELATIONSHIPS = Prepared(
    lambda partner: (
        AdminRelationship.objects.filter(partner=partner)
        .values_list(*ADMIN_RELATIONSHIP_ROW, named=True)
        .order_by(*ADMIN_RELATIONSHIP_ORDER)[: PAGE_SIZE + 1]
    ),
    partner=AdminRelationship._meta.get_field("partner"),
)


def _admin_relationship_rows(request: PartnerRequest, form, page, searching: bool, now):
    """The page below its header, and until when it holds: the first moment a relationship it
    shows (or the one read past it) changes status, end or days left by itself."""
    relationships = fragments.from_values(AdminRelationship, page.object_list)
    html = render_to_string(
        "partner_center/admin_relationships/list_content.html",
        {
            "form": form,
            "page": page,
            "rows": [(each, each.display_status(now)) for each in relationships],
            "searching": searching,
            "now": now,
        },
        request,
    )
    return html, fragments.until_of(AdminRelationship, page, now)


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def admin_relationship_new(request: PartnerRequest):
    """A request for one customer (or any), from scratch or from a template (`?template=`)."""
    partner = request.partner
    customer = None
    initial = {}
    if request.method == "GET" and "customer" in request.GET:
        # From a customer's page: the request names that customer (one of this partner's).
        try:
            customer_id = uuid.UUID(request.GET["customer"])
        except ValueError:
            raise Http404("No such customer.") from None
        customer = customer_for_request(partner, customer_id)
        if customer is None:
            raise Http404("No such customer.")
        initial["customer"] = customer.pk
    if request.method == "GET" and "template" in request.GET:
        try:
            template_id = uuid.UUID(request.GET["template"])
        except ValueError:
            raise Http404("No such template.") from None
        version = selectors.template_of(partner, template_id).latest
        initial |= {
            "template_version": version.pk,
            "name": services.request_name_for(version.template, customer),
            "duration_days": version.duration_days,
            "roles": version.roles,
            "auto_extend": "yes" if version.auto_extend else "no",
        }
    form = AdminRelationshipForm(
        posted(request),
        partner=partner,
        initial=initial,
        language=country_language(customer.country) if customer else request.LANGUAGE_CODE,
    )
    if request.method == "POST" and form.is_valid():
        customer = form.cleaned_data["customer"]
        version = form.from_template()
        try:
            relationship = services.admin_relationship_create(
                partner=partner,
                created_by=request.user,
                request=form.admin_request(),
                customer=customer,
                finalize=True,
                language=form.cleaned_data["language"] or None,
                template_version=version,
            )
        except services.AdminRequestInvalid as error:
            add_problems(form, error.problems)
        else:
            messages.success(
                request,
                _(
                    "The request is finalized. Share the email or the link below with the "
                    "customer's Global administrator."
                ),
            )
            if form.cleaned_data["template_version"] is not None and version is None:
                messages.warning(
                    request,
                    _(
                        "The request asks for other roles, duration or auto extend than its "
                        "template, so the template's security groups won't get roles on "
                        "approval: assign them on the relationship once it is active."
                    ),
                )
            return redirect("partner_center:admin-relationship-detail", relationship.pk)
    elif form.is_bound:
        customer = form.cleaned_data.get("customer")
    template_version = (
        form.cleaned_data.get("template_version")
        if form.is_bound
        else _initial_version(partner, initial.get("template_version"))
    )
    return render(
        request,
        "partner_center/admin_relationships/new.html",
        {
            "form": form,
            "customer": customer,
            "template_version": template_version,
            "global_admin_warning": GLOBAL_ADMINISTRATOR_WARNING,
        },
        status=400 if form.is_bound else 200,
    )


def _initial_version(partner, version_id):
    if version_id is None:
        return None
    return (
        TemplateVersion.objects.select_related("template")
        .prefetch_related("mappings__group")
        .get(pk=version_id, template__partner=partner)
    )


def _detail_context(
    request: PartnerRequest, relationship: AdminRelationship, send_form=None
) -> dict:
    now = timezone.now()
    status = relationship.display_status(now)
    context = {
        "relationship": relationship,
        "status": status,
        "ends_at": relationship.current_end(now),
        "days_left": relationship.days_left(now),
        "in_force": status in IN_FORCE,
    }
    if status == AdminRelationshipStatus.APPROVAL_PENDING:
        link = relationship.link()
        if link is not None:
            email = services.request_email(relationship)
            context |= {
                "link": link,
                "email": email,
                "mailto": "mailto:?subject={}&body={}".format(
                    quote(email.subject, safe=""), quote(email.text, safe="")
                ),
                "send_form": send_form or SendForm(),
            }
    if status in IN_FORCE:
        assignments = list(
            AccessAssignment.objects.filter(relationship=relationship, removed_at__isnull=True)
            .select_related("group")
            .order_by("group__name", "id")
        )
        for assignment in assignments:
            if not assignment.is_active:
                # Why the template's mapping gave nothing, and what to do (worded now).
                assignment.failure_reason = rules.assignment_failure_reason(
                    assignment.failure, group=assignment.group.name, roles=assignment.roles
                )
        context["assignments"] = assignments
        context["holds_global_admin"] = GLOBAL_ADMINISTRATOR in relationship.roles
        context["may_auto_extend"] = rules.auto_extend_allowed(relationship.roles)
        if (newer := services.newer_version(relationship)) is not None:
            context["newer_version"] = newer
            context["waiting_upgrade"] = services.waiting_upgrade(relationship, now)
    if relationship.upgrade_of_id is not None:
        context["upgrades"] = relationship.upgrade_of
        context["difference"] = services.difference(relationship.upgrade_of, relationship)
    return context


@never_cache
@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def admin_relationship_detail(request: PartnerRequest, relationship_id):
    """The relationship; while it waits for approval, its email and link; once active, the
    roles each security group holds in the customer through it."""
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    return render(
        request,
        "partner_center/admin_relationships/detail.html",
        _detail_context(request, relationship),
    )


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def admin_relationship_finalize(request: PartnerRequest, relationship_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    try:
        services.admin_relationship_finalize(relationship=relationship, finalized_by=request.user)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "The request is finalized. Share the email or the link below with the "
                "customer's Global administrator."
            ),
        )
    return redirect("partner_center:admin-relationship-detail", relationship.pk)


@never_cache
@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def admin_relationship_send(request: PartnerRequest, relationship_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    form = SendForm(request.POST)
    if (
        not form.is_valid()
        and relationship.display_status() == AdminRelationshipStatus.APPROVAL_PENDING
    ):
        return render(
            request,
            "partner_center/admin_relationships/detail.html",
            _detail_context(request, relationship, send_form=form),
            status=400,
        )
    to = form.cleaned_data.get("to", "")
    try:
        services.admin_relationship_send(relationship=relationship, sent_by=request.user, to=to)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Sent to %(email)s.") % {"email": to})
    return redirect("partner_center:admin-relationship-detail", relationship.pk)


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def admin_relationship_withdraw(request: PartnerRequest, relationship_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    if request.method == "POST":
        try:
            services.admin_relationship_withdraw(
                relationship=relationship, withdrawn_by=request.user
            )
        except services.ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The request was withdrawn. Its link no longer works."))
        return redirect("partner_center:admin-relationship-detail", relationship.pk)
    status = relationship.display_status()
    return render(
        request,
        "partner_center/admin_relationships/withdraw.html",
        {
            "relationship": relationship,
            "status": status,
            "can_withdraw": bool(services.admin_relationship_withdraw_decision(relationship)),
        },
    )


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def admin_relationship_terminate(request: PartnerRequest, relationship_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    if request.method == "POST":
        try:
            services.admin_relationship_terminate(
                relationship=relationship, terminated_by=request.user, by=request.partner
            )
        except services.ServiceError as error:
            messages.error(request, error.message)
        else:
            if relationship.customer:
                message = _(
                    # Translators: %(name)s: the admin relationship's name; %(customer)s: a company.
                    "The admin relationship “%(name)s” was terminated. Your security groups no "
                    "longer hold its roles in %(customer)s."
                )
            else:
                message = _(
                    # Translators: %(name)s is the admin relationship's name.
                    "The admin relationship “%(name)s” was terminated. Your security groups no "
                    "longer hold its roles in the customer."
                )
            messages.success(request, message % _names(relationship, name=relationship.name))
        return redirect("partner_center:admin-relationship-detail", relationship.pk)
    now = timezone.now()
    return render(
        request,
        "partner_center/admin_relationships/terminate.html",
        {
            "relationship": relationship,
            "status": relationship.display_status(now),
            "ends_at": relationship.current_end(now),
            "in_force": bool(
                services.admin_relationship_terminate_decision(relationship, by=request.partner)
            ),
            "assignments": AccessAssignment.objects.filter(
                relationship=relationship, removed_at__isnull=True
            ).count(),
        },
    )


def _not_assignable(request: PartnerRequest, relationship: AdminRelationship):
    """Security groups get roles only on a relationship in force: the decision's sentence, or
    None when it is."""
    decision = services.access_assignment_decision(relationship)
    if decision:
        return None
    messages.error(request, decision.reason)
    return redirect("partner_center:admin-relationship-detail", relationship.pk)


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def access_assignment_new(request: PartnerRequest, relationship_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    if (refused := _not_assignable(request, relationship)) is not None:
        return refused
    form = AccessAssignmentForm(posted(request), relationship=relationship)
    if request.method == "POST" and form.is_valid():
        group = form.cleaned_data["group"]
        try:
            assignment = services.access_assignment_create(
                relationship=relationship,
                group=group,
                roles=form.cleaned_data["roles"],
                created_by=request.user,
            )
        except services.AdminRequestInvalid as error:
            add_problems(form, error.problems)
        except services.ServiceError as error:
            messages.error(request, error.message)
            return redirect("partner_center:admin-relationship-detail", relationship.pk)
        else:
            messages.success(request, _now_has(group, relationship, assignment.role_names))
            return redirect("partner_center:admin-relationship-detail", relationship.pk)
    return render(
        request,
        "partner_center/admin_relationships/assignment_form.html",
        {"form": form, "relationship": relationship, "assignment": None},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def access_assignment_edit(request: PartnerRequest, relationship_id, assignment_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    assignment = selectors.access_assignment_of(relationship, assignment_id)
    if (refused := _not_assignable(request, relationship)) is not None:
        return refused
    form = AccessAssignmentEditForm(
        posted(request), relationship=relationship, initial={"roles": assignment.roles}
    )
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.access_assignment_update(
                assignment=assignment, roles=form.cleaned_data["roles"], updated_by=request.user
            )
        except services.AdminRequestInvalid as error:
            add_problems(form, error.problems)
        except services.ServiceError as error:
            messages.error(request, error.message)
            return redirect("partner_center:admin-relationship-detail", relationship.pk)
        else:
            messages.success(
                request, _now_has(assignment.group, relationship, assignment.role_names)
            )
            return redirect("partner_center:admin-relationship-detail", relationship.pk)
    return render(
        request,
        "partner_center/admin_relationships/assignment_form.html",
        {"form": form, "relationship": relationship, "assignment": assignment},
        status=400 if form.is_bound else 200,
    )


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def access_assignment_remove(request: PartnerRequest, relationship_id, assignment_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    assignment = selectors.access_assignment_of(relationship, assignment_id)
    try:
        services.access_assignment_remove(assignment=assignment, removed_by=request.user)
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        if relationship.customer:
            # Translators: %(group)s is a security group, %(customer)s a company.
            message = _("%(group)s no longer has roles in %(customer)s through this relationship.")
        else:
            # Translators: %(group)s is a security group.
            message = _("%(group)s no longer has roles in the customer through this relationship.")
        messages.success(request, message % _names(relationship, group=assignment.group.name))
    return redirect("partner_center:admin-relationship-detail", relationship.pk)


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def access_assignment_retry(request: PartnerRequest, relationship_id, assignment_id):
    """Make an assignment a template's mapping asked for, now that what stood in its way is
    gone (or say, again, what still does)."""
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    assignment = selectors.access_assignment_of(relationship, assignment_id)
    try:
        assignment = services.access_assignment_retry(
            assignment=assignment, retried_by=request.user
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _now_has(assignment.group, relationship, assignment.role_names))
    return redirect("partner_center:admin-relationship-detail", relationship.pk)
