"""The forms of the two-tier partnership pages: find an indirect reseller (from the list or by
its PartnerID), confirm the request, and answer one."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.models import CspRole, Partnership, Tenant
from tenancy.text import country_name
from tenancy.web.forms import PortalForm

# A PartnerID is stored in a PositiveIntegerField: a bigger number is no one's (and would not fit
# in the query's parameter on every database).
PARTNER_ID_MAX = 2_147_483_647
# The list offers this many resellers, by name; the others are found by their PartnerID.
LIST_SIZE = 100


def resellers_to_ask(provider: Tenant):
    """Indirect resellers in the provider's cloud and market it has no partnership or request
    with: those it may ask."""
    return (
        Tenant.objects.partners()
        .filter(
            csp_role=CspRole.INDIRECT_RESELLER,
            cloud=provider.cloud,
            country__market_id=provider.country.market_id,
        )
        .exclude(pk__in=Partnership.objects.open().filter(provider=provider).values("reseller"))
    )


class FindResellerForm(PortalForm):
    """Verify: a reseller chosen from the list, or one found by its PartnerID."""

    listed = forms.ChoiceField(
        label=gettext_lazy("Indirect reseller"),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy("Choose an indirect reseller from the list.")
        },
    )
    partner_id = forms.IntegerField(
        label=gettext_lazy("Indirect reseller not in the list? Enter PartnerID"),
        required=False,
        error_messages={"invalid": gettext_lazy("A PartnerID is a number, like 4001234.")},
    )

    def __init__(self, *args, provider: Tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        # One query; one more than shown, to know whether the list was cut.
        offered = list(
            resellers_to_ask(provider)
            .select_related("country")
            .order_by("name", "id")[: LIST_SIZE + 1]
        )
        self.cut = len(offered) > LIST_SIZE
        # Translators: a choice in the list of indirect resellers: "Contoso (Canada, PartnerID
        # 4001234)".
        choice = _("%(name)s (%(country)s, PartnerID %(partner_id)s)")
        self.fields["listed"].choices = [("", _("Choose an indirect reseller"))] + [
            (
                str(tenant.pk),
                choice
                % {
                    "name": tenant.name,
                    "country": country_name(tenant.country),
                    "partner_id": tenant.mpn_id,
                },
            )
            for tenant in offered[:LIST_SIZE]
        ]

    def clean_partner_id(self):
        partner_id = self.cleaned_data["partner_id"]
        if partner_id is None:
            return None
        found = None
        if 0 <= partner_id <= PARTNER_ID_MAX:
            found = Tenant.objects.select_related("country__market").filter(mpn_id=partner_id)
            found = found.first()
        if found is None:
            raise forms.ValidationError(
                _("No partner has PartnerID %(partner_id)s.") % {"partner_id": partner_id},
                code="unknown",
            )
        return found

    def clean(self):
        data = super().clean()
        listed, by_id = data.get("listed"), data.get("partner_id")
        if self.errors:
            return data
        if listed and by_id is not None and str(by_id.pk) != listed:
            raise forms.ValidationError(
                _("Choose an indirect reseller from the list or enter a PartnerID, not both."),
                code="both",
            )
        if by_id is not None:
            data["reseller"] = by_id
        elif listed:
            # Still one to ask? Another admin may have asked it since the list was shown.
            data["reseller"] = (
                resellers_to_ask(self.provider)
                .select_related("country__market")
                .filter(pk=listed)
                .first()
            )
            if data["reseller"] is None:
                self.add_error("listed", _("This indirect reseller can no longer be asked."))
        else:
            raise forms.ValidationError(
                _("Choose an indirect reseller from the list, or enter its PartnerID."),
                code="required",
            )
        return data


class RequestPartnershipForm(PortalForm):
    """Request a partnership: the reseller verified on the step before, in a hidden field."""

    reseller = forms.ModelChoiceField(
        queryset=Tenant.objects.partners().select_related("country__market"),
        widget=forms.HiddenInput,
        error_messages={
            "required": gettext_lazy("Choose the indirect reseller again."),
            "invalid_choice": gettext_lazy("That indirect reseller wasn't found. Choose it again."),
        },
    )


class AnswerForm(PortalForm):
    answer = forms.ChoiceField(
        choices=[("accept", gettext_lazy("Accept")), ("decline", gettext_lazy("Decline"))]
    )
