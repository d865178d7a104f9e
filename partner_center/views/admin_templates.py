"""Partner Center: Admin relationships → Templates. Every agent who sees admin relationships
reads them; Admin agents make and edit them (an edit is a new version)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from partner_center.access import partner_view, posted
from partner_center.admin_forms import GLOBAL_ADMINISTRATOR_WARNING
from partner_center.template_forms import TemplateForm
from partner_center.views.access_trace import if_approved
from tenancy import selectors, services
from tenancy.models import AdminRelationship, AdminRelationshipTemplate, TemplateVersion
from tenancy.rules import Action
from tenancy.web.http import PartnerRequest

# On a template's page, at most this many of its relationships on older versions are listed
# (Upgrade all takes them all).
OLDER_SHOWN = 100


@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def template_list(request: PartnerRequest):
    templates = (
        AdminRelationshipTemplate.objects.filter(partner=request.partner)
        .select_related("latest")
        .annotate(mapping_count=Count("latest__mappings"))
        .order_by("name", "id")
    )
    return render(
        request, "partner_center/admin_relationships/templates.html", {"templates": templates}
    )


def _form_page(request: PartnerRequest, form: TemplateForm, template=None):
    return render(
        request,
        "partner_center/admin_relationships/template_form.html",
        {
            "form": form,
            "template": template,
            "global_admin_warning": GLOBAL_ADMINISTRATOR_WARNING,
        },
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def template_new(request: PartnerRequest):
    form = TemplateForm(posted(request), partner=request.partner)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.template_create(
                partner=request.partner, created_by=request.user, content=form.content()
            )
        except services.AdminRequestInvalid as error:
            form.show_problems(error.problems)
        else:
            messages.success(
                request,
                _("Template “%(name)s” is ready. Requests made from it apply its mappings.")
                % {"name": template.name},
            )
            return redirect("partner_center:admin-relationship-template", template.pk)
    return _form_page(request, form)


@require_GET
@partner_view(Action.VIEW_ADMIN_RELATIONSHIPS)
def template_detail(request: PartnerRequest, template_id):
    template = selectors.template_of(request.partner, template_id)
    version = template.latest
    made = dict(
        AdminRelationship.objects.filter(template_version__template=template)
        .values_list("template_version__number")
        .annotate(n=Count("pk"))
        .order_by()
    )
    versions = list(
        TemplateVersion.objects.filter(template=template)
        .select_related("created_by")
        .order_by("-number")
    )
    for each in versions:
        each.relationship_count = made.get(each.number, 0)
    older = (
        services.upgradable(request.partner, template)
        .select_related("customer", "template_version")
        .order_by("customer__name", "id")
    )
    return render(
        request,
        "partner_center/admin_relationships/template_detail.html",
        {
            "template": template,
            "version": version,
            "mappings": list(version.mappings.select_related("group")),
            "versions": versions,
            # Who would hold which roles once a customer approves (one query).
            "prospect": if_approved(version),
            # The relationships on older versions, to upgrade (a page of them, and how many).
            "older": older[:OLDER_SHOWN],
            "older_count": older.count(),
        },
    )


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_ADMIN_RELATIONSHIPS)
def template_edit(request: PartnerRequest, template_id):
    template = selectors.template_of(request.partner, template_id)
    form = TemplateForm(posted(request), partner=request.partner, version=template.latest)
    if request.method == "POST" and form.is_valid():
        before = template.latest_id
        try:
            template = services.template_update(
                template=template, changed_by=request.user, content=form.content()
            )
        except services.AdminRequestInvalid as error:
            form.show_problems(error.problems)
        else:
            if template.latest_id != before:
                messages.success(
                    request,
                    _(
                        "Saved as version %(number)s. Requests made from earlier versions keep "
                        "what they were made with."
                    )
                    % {"number": template.latest.number},
                )
            else:
                messages.info(
                    request,
                    _(
                        "Saved. The roles, duration and mappings are as they were, so there is "
                        "no new version."
                    ),
                )
            return redirect("partner_center:admin-relationship-template", template.pk)
    return _form_page(request, form, template)
