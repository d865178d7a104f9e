from django import forms

from tenancy.forms import OrganizationProfileForm, SignerForm

__all__ = ["AcceptAgreementForm", "OrganizationProfileForm"]


class AcceptAgreementForm(SignerForm):
    """The signer, and the box that says they accept."""

    accept = forms.BooleanField(
        label="I have read and accept the agreement",
        error_messages={"required": "Tick the box to accept the agreement."},
    )
