"""Active users: the organization's users, their roles and sign-in methods; its Global
administrator resets a user's sign-in methods."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from admin_center.access import customer_view, portal_url
from tenancy.rules import Action
from tenancy.web.account import reset_page, users_context


@never_cache
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
