"""Acceptances of the Microsoft Customer Agreement."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenancy.choices import AcceptanceMethod
from tenancy.models.choice_labels import ChoiceLabels
from tenancy.models.invitations import Invitation
from tenancy.models.tenants import Tenant


class AgreementAcceptanceQuerySet(models.QuerySet):
    def current(self):
        """Acceptances of the version customers accept today (purchases need one)."""
        return self.filter(version=settings.CUSTOMER_AGREEMENT_VERSION)


class AgreementAcceptance(ChoiceLabels, models.Model):
    """A customer's acceptance of the Microsoft Customer Agreement. Never deleted."""

    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="agreement_acceptances"
    )
    version = models.CharField(max_length=40)
    # The language of the agreement's summary the signer read (empty before it was recorded).
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True)
    method = models.CharField(max_length=20, choices=AcceptanceMethod)
    signer_first_name = models.CharField(max_length=100)
    signer_last_name = models.CharField(max_length=100)
    signer_email = models.EmailField()
    signer_phone = models.CharField(max_length=40, blank=True)
    accepted_on = models.DateField(help_text="The day the signer accepted the agreement.")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    invitation = models.ForeignKey(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attested_by_partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = AgreementAcceptanceQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            # A customer accepts a version once on its own (the Agreements page); acceptances
            # that come with a partner's request or attestation each keep their own record.
            models.UniqueConstraint(
                fields=["customer", "version"],
                condition=Q(method="customer", invitation__isnull=True),
                name="agreement_version_accepted_once",
                violation_error_message="Your organization already accepted this version.",
            ),
            models.CheckConstraint(
                condition=Q(method=AcceptanceMethod.CUSTOMER, attested_by_partner__isnull=True)
                | Q(method=AcceptanceMethod.PARTNER_ATTESTATION, attested_by_partner__isnull=False),
                name="agreement_attestation_names_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.name} accepted {self.version}"

    @property
    def signer_name(self) -> str:
        return f"{self.signer_first_name} {self.signer_last_name}"

    @property
    def is_current(self) -> bool:
        return self.version == settings.CUSTOMER_AGREEMENT_VERSION
