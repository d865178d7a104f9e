"""Partner Center: the steps an Admin agent takes on one admin relationship in force without new
consent (auto-extend on or off, Remove Global Administrator) and upgrading it to its template's
latest version (one, or those of a template ticked or all, as a bulk job)."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from partner_center.access import PAGE_SIZE, partner_view
from tenancy import selectors, services
from tenancy.models import BulkJobKind
from tenancy.rules import Action
from tenancy.web.http import PartnerRequest


def _detail(relationship):
    return redirect("partner_center:admin-relationship-detail", relationship.pk)


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def auto_extend(request: PartnerRequest, relationship_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    on = request.POST.get("on") == "yes"
    try:
        relationship = services.admin_relationship_auto_extend(
            relationship=relationship, on=on, changed_by=request.user
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("“%(name)s” now extends by 180 days each time it would end.")
            % {"name": relationship.name}
            if on
            else _("“%(name)s” now ends on its date without extending.")
            % {"name": relationship.name},
        )
    return _detail(relationship)


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def remove_global_admin(request: PartnerRequest, relationship_id):
    """Say what it does, then do it."""
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    decision = services.remove_global_admin_decision(relationship)
    if request.method == "POST":
        try:
            services.admin_relationship_remove_global_admin(
                relationship=relationship, removed_by=request.user
            )
        except services.ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _(
                    "Global Administrator is gone from “%(name)s” and from every security group "
                    "that held it through it. The customer's Global administrators are told."
                )
                % {"name": relationship.name},
            )
        return _detail(relationship)
    return render(
        request,
        "partner_center/admin_relationships/remove_global_admin.html",
        {"relationship": relationship, "decision": decision, "count": 1},
        status=200 if decision else 409,
    )


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def upgrade(request: PartnerRequest, relationship_id):
    relationship = selectors.admin_relationship_of(request.partner, relationship_id)
    try:
        new = services.admin_relationship_upgrade(
            relationship=relationship, requested_by=request.user
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
        return _detail(relationship)
    messages.success(
        request,
        _(
            "The upgrade request is sent to the customer's Global administrators. Until they "
            "approve it, “%(name)s” stays as it is."
        )
        % {"name": relationship.name},
    )
    return _detail(new)


@require_POST
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def template_upgrade(request: PartnerRequest, template_id):
    """Upgrade the template's relationships on older versions: those ticked, or all of them."""
    template = selectors.template_of(request.partner, template_id)
    relationships = services.upgradable(request.partner, template)
    if request.POST.get("scope") == "all":
        selection = {"upgradable": str(template.pk)}
    else:
        ids = []
        for value in request.POST.getlist("relationship")[:PAGE_SIZE]:
            try:
                ids.append(uuid.UUID(value))
            except ValueError:
                continue
        relationships, selection = relationships.filter(pk__in=ids), {"picked": len(ids)}
    try:
        job = services.bulk_relationships_start(
            membership=request.membership,
            kind=BulkJobKind.UPGRADE,
            relationships=relationships,
            selection=selection,
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
        return redirect("partner_center:admin-relationship-template", template.pk)
    return redirect("partner_center:admin-relationship-bulk-job", job.pk)
