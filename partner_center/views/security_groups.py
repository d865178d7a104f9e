"""Security groups: a partner's groups of its own users, their members, and the roles each holds
in customers through admin relationships."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partner_center.access import PAGE_SIZE, partner_view, posted
from partner_center.admin_forms import (
    MemberAddForm,
    SecurityGroupForm,
    SecurityGroupRenameForm,
    add_problems,
)
from tenancy import selectors, services
from tenancy.models import (
    AccessAssignment,
    AdminRelationshipStatus,
    SecurityGroup,
    SecurityGroupMember,
)
from tenancy.paging import keyset_page
from tenancy.rules import Action
from tenancy.web.http import PartnerRequest

IN_FORCE = (AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.EXPIRING)


@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_SECURITY_GROUPS)
def security_group_list(request: PartnerRequest):
    form = SecurityGroupForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            group = services.security_group_create(
                partner=request.partner,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                created_by=request.user,
            )
        except services.AdminRequestInvalid as error:
            add_problems(form, error.problems)
        else:
            messages.success(
                request,
                _("Security group %(group)s created. Add its members.") % {"group": group.name},
            )
            return redirect("partner_center:security-group-detail", group.pk)
    groups = SecurityGroup.objects.filter(partner=request.partner).annotate(
        member_count=Count("memberships", distinct=True),
        assignment_count=Count(
            "assignments", filter=Q(assignments__removed_at__isnull=True), distinct=True
        ),
    )
    page = keyset_page(
        groups, order=["name", "id"], cursor=request.GET.get("cursor"), size=PAGE_SIZE
    )
    return render(
        request,
        "partner_center/security_groups/list.html",
        {"form": form, "page": page},
        status=400 if form.is_bound else 200,
    )


def _group_context(group: SecurityGroup, rename_form=None, member_form=None) -> dict:
    return {
        "group": group,
        "rename_form": rename_form or SecurityGroupRenameForm(initial={"name": group.name}),
        "member_form": member_form or MemberAddForm(group=group),
        "members": SecurityGroupMember.objects.filter(group=group)
        .select_related("membership__user")
        .order_by("membership__user__username"),
        "assignments": AccessAssignment.objects.filter(group=group, removed_at__isnull=True)
        .select_related("relationship__customer")
        .order_by("relationship__name", "id"),
    }


def _render_group(request, group: SecurityGroup, status: int = 200, **forms):
    return render(
        request,
        "partner_center/security_groups/detail.html",
        _group_context(group, **forms),
        status=status,
    )


@require_GET
@partner_view(Action.MANAGE_SECURITY_GROUPS)
def security_group_detail(request: PartnerRequest, group_id):
    return _render_group(request, selectors.security_group_of(request.partner, group_id))


@require_POST
@partner_view(Action.MANAGE_SECURITY_GROUPS)
def security_group_rename(request: PartnerRequest, group_id):
    group = selectors.security_group_of(request.partner, group_id)
    form = SecurityGroupRenameForm(request.POST)
    if form.is_valid():
        before = group.name
        try:
            services.security_group_rename(
                group=group, name=form.cleaned_data["name"], renamed_by=request.user
            )
        except services.AdminRequestInvalid as error:
            add_problems(form, error.problems)
        else:
            if group.name != before:
                messages.success(
                    request,
                    # Translators: a security group's former name, and its new one.
                    _("Security group %(before)s is now %(after)s.")
                    % {"before": before, "after": group.name},
                )
            return redirect("partner_center:security-group-detail", group.pk)
    return _render_group(request, group, status=400, rename_form=form)


@require_POST
@partner_view(Action.MANAGE_SECURITY_GROUPS)
def security_group_member_add(request: PartnerRequest, group_id):
    group = selectors.security_group_of(request.partner, group_id)
    form = MemberAddForm(request.POST, group=group)
    if form.is_valid():
        membership = form.cleaned_data["member"]
        try:
            services.security_group_member_add(
                group=group, membership=membership, added_by=request.user
            )
        except services.AdminRequestInvalid as error:
            add_problems(form, error.problems)
        else:
            messages.success(
                request,
                # Translators: %(user)s is a user name, %(group)s a security group.
                _("%(user)s is now in %(group)s.")
                % {"user": membership.user.get_username(), "group": group.name},
            )
            return redirect("partner_center:security-group-detail", group.pk)
    return _render_group(request, group, status=400, member_form=form)


@require_POST
@partner_view(Action.MANAGE_SECURITY_GROUPS)
def security_group_member_remove(request: PartnerRequest, group_id, membership_id):
    group = selectors.security_group_of(request.partner, group_id)
    membership = selectors.member_of(request.partner, membership_id)
    try:
        services.security_group_member_remove(
            group=group, membership=membership, removed_by=request.user
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            # Translators: %(user)s is a user name, %(group)s a security group.
            _("%(user)s was removed from %(group)s.")
            % {"user": membership.user.get_username(), "group": group.name},
        )
    return redirect("partner_center:security-group-detail", group.pk)
