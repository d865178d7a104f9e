"""User management: the partner's users, their roles and sign-in methods; a Global admin resets
a user's sign-in methods."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from partner_center.access import partner_view
from tenancy.rules import Action
from tenancy.web.account import reset_page, users_context


@never_cache
@require_safe
@partner_view(Action.MANAGE_USERS)
def user_list(request):
    return render(request, "partner_center/users.html", users_context(request))


@never_cache
@require_http_methods(["GET", "POST"])
@partner_view(Action.MANAGE_USERS)
def user_reset_sign_in(request, membership_id: int):
    return reset_page(
        request,
        membership_id,
        template="partner_center/user_reset.html",
        back=reverse("partner_center:user-list"),
    )
