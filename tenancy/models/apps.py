"""Partner Center apps: what a partner's scripts act as through the API.

An app is registered by the partner's Global admin and holds an API key (djangorestframework-api-
key: only a hash of the key is stored, with a visible prefix). It acts through a principal of its
own, a user with a membership in the partner and the roles it was given, so every rule and every
audit line that names a person names the app instead. The principal can't sign in (no usable
password); revoking the app deactivates it.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from tenancy.choices import Role
from tenancy.models.tenants import MEMBERSHIP_RELATED, Membership, Tenant
from tenancy.prepared import Prepared

# The roles an app may hold. Global admin lets it remove reseller relationships through the API;
# an app never counts as one of the partner's people (its Global admins, its users).
APP_ROLES = (Role.ADMIN_AGENT, Role.SALES_AGENT, Role.HELPDESK_AGENT, Role.GLOBAL_ADMIN)


class PartnerAppManager(BaseAPIKeyManager):
    def get_usable_keys(self):
        # The key's check reads the app with what a request acts as: one query.
        return super().get_usable_keys().select_related("principal", "partner")

    def get_from_key(self, key: str) -> "PartnerApp":
        """The library's own check (the usable app of the key's prefix, whose hash the key
        matches), its query compiled once: every request an app makes runs it. The app comes
        with the membership its principal acts through (`acting_membership`: tenant, market,
        roles and the Customer list's version, as a signed-in user's), in the same query."""
        prefix, _, _ = key.partition(".")
        app = _USABLE_APP.first(prefix=prefix)
        if app is None or not app.is_valid(key):
            raise self.model.DoesNotExist("Key is not valid.")
        try:
            membership = app.principal.membership
        except ObjectDoesNotExist:
            membership = None
        else:
            membership.take_carried(app)
        app.acting_membership = membership
        return app


class PartnerApp(AbstractAPIKey):
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="apps")
    principal = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_app"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PartnerAppManager()

    # The membership the principal acts through, read with the app (get_from_key).
    acting_membership: "Membership | None" = None

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "Partner Center app"
        ordering = ["-created"]
        indexes = [models.Index(fields=["partner", "-created"], name="partner_app_created_idx")]


_USABLE_APP = Prepared(
    lambda prefix: (
        PartnerApp.objects.get_usable_keys()
        .select_related(f"principal__membership__{MEMBERSHIP_RELATED}")
        .annotate(**Membership.objects.carried_by("principal__membership"))
        .filter(prefix=prefix)
    ),
    prefix=PartnerApp._meta.get_field("prefix"),
)
