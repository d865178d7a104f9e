"""An app's key, sent as `Authorization: Bearer <key>` (as Partner Center's API takes a token)
or `Authorization: Api-Key <key>`. djangorestframework-api-key finds and checks it (a hash is
all that is stored); the request then acts as the app's principal, a member of the partner with
the app's roles, so the pages' rules and services apply unchanged."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_api_key.permissions import KeyParser

from tenancy.models import PartnerApp


class BearerKeyParser(KeyParser):
    keyword = "Bearer"


class AppKeyAuthentication(authentication.BaseAuthentication):
    parsers = (BearerKeyParser(), KeyParser())

    def authenticate(self, request):
        key = next((k for parser in self.parsers if (k := parser.get(request))), None)
        if key is None:
            return None
        try:
            app = PartnerApp.objects.get_from_key(key)
        except PartnerApp.DoesNotExist:
            raise exceptions.AuthenticationFailed(
                _("That key is not valid: it is mistyped, or its app was revoked.")
            ) from None
        if app.has_expired or not app.principal.is_active:
            raise exceptions.AuthenticationFailed(_("That key is not valid: its app was revoked."))
        request._request.membership = app.acting_membership
        request._request.partner_app = app
        # At most one write a minute per app for "last used".
        now = timezone.now()
        if app.last_used_at is None or (now - app.last_used_at).total_seconds() > 60:
            PartnerApp.objects.filter(pk=app.pk).update(last_used_at=now)
        return app.principal, app

    def authenticate_header(self, request):
        return 'Bearer realm="Partner Center API"'


class AppKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document names the key."""

    target_class = "api.authentication.AppKeyAuthentication"
    name = "AppKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An app's key."}
