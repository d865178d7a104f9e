"""Active users: the organization's users, their roles and sign-in methods; its Global
administrator gives a user their roles and resets a user's sign-in methods."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from admin_center.access import customer_view, portal_url
from tenancy import rules, selectors, services
from tenancy.rules import Action
from tenancy.services import ServiceError
from tenancy.web.account import reset_page, users_context
from tenancy.web.forms import PortalForm


@never_cache
@require_safe
@customer_view(Action.MANAGE_ORGANIZATION_USERS)
def users(request):
    return render(request, "admin_center/users.html", users_context(request))


@never_cache
@require_http_methods(["GET", "POST"])
@customer_view(Action.MANAGE_ORGANIZATION_USERS)
def user_reset_sign_in(request, membership_id: int):
    return reset_page(
        request,
        membership_id,
        template="admin_center/user_reset.html",
        back=portal_url(request, "users"),
    )


class RolesForm(PortalForm):
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one role.")},
    )

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(role.value, role.label) for role in roles]


@never_cache
@require_http_methods(["GET", "POST"])
@customer_view(Action.MANAGE_ORGANIZATION_USERS)
def user_roles(request, membership_id: int):
    """The roles a user of the organization holds, ticked; saving gives them exactly those."""
    target = selectors.member_of(request.customer, membership_id)
    back = portal_url(request, "users")
    form = RolesForm(
        # Bound on every post: one with no role ticked sends no field at all.
        request.POST if request.method == "POST" else None,
        roles=rules.assignable_roles(request.customer),
        initial={"roles": [role.value for role in target.roles]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.membership_roles_set(
                membership=request.membership, target=target, roles=form.cleaned_data["roles"]
            )
        except ServiceError as refusal:
            form.add_error("roles", refusal.message)
        else:
            user = target.user.get_username()
            if changed:
                messages.success(request, _("%(user)s's roles were saved.") % {"user": user})
            else:
                messages.info(
                    request,
                    _("%(user)s already had these roles. Nothing changed.") % {"user": user},
                )
            return redirect(back)
    return render(
        request,
        "admin_center/user_roles.html",
        {"target": target, "form": form, "back": back},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
