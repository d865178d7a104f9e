"""The language picker in each portal's header: the choice is kept on the member (and, signed
out, in the language cookie), so it follows the user from browser to browser."""

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import translation
from django.views.decorators.http import require_POST

from tenancy.language import LANGUAGE_CODES
from tenancy.models import Membership
from tenancy.web.http import local_path


@require_POST
def set_language(request: HttpRequest):
    """Use the posted language from now on; back to the page the picker was on. An unknown
    language changes nothing."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(local_path(request.POST.get("next", "")) or "/")
    if language not in LANGUAGE_CODES:
        return response
    membership = getattr(request, "membership", None)
    if membership is not None and membership.language != language:
        Membership.objects.filter(pk=membership.pk).update(language=language)
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
