from django import forms
from django.utils.translation import gettext_lazy

from tenancy.web.forms import OrganizationProfileForm, SignerForm

__all__ = ["AcceptAgreementForm", "OrganizationProfileForm"]


class AcceptAgreementForm(SignerForm):
    """The signer, and the box that says they accept."""

    accept = forms.BooleanField(
        label=gettext_lazy("I have read and accept the agreement"),
        error_messages={"required": gettext_lazy("Tick the box to accept the agreement.")},
    )
