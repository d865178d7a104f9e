from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy import rules, selectors, services, text
from tenancy.models import (
    InvitationStatus,
    Offer,
    Partnership,
    SubscriptionStatus,
    Tenant,
    domain_for,
    domain_prefix_validator,
)
from tenancy.web.forms import EmailLanguageField, OrganizationProfileForm, PortalForm, SignerForm


class CountryChoiceField(forms.ModelChoiceField):
    """A choice among countries, each named in the page's language."""

    def label_from_instance(self, obj) -> str:
        return text.country_name(obj)


class PartnerChoiceField(forms.ModelChoiceField):
    """A choice among partners, each shown by its company name."""

    def label_from_instance(self, obj: Tenant) -> str:
        return obj.name


def partnered(partner: Tenant, *, active_only: bool = True):
    """The partners on the other side of `partner`'s partnerships (its indirect providers, or
    its indirect resellers), by name; active ones only unless `active_only` is False."""
    side, other = (
        ("reseller", "provider")
        if partner.csp_role == "indirect_reseller"
        else (
            "provider",
            "reseller",
        )
    )
    partnerships = Partnership.objects.filter(**{side: partner})
    if active_only:
        partnerships = partnerships.active()
    return Tenant.objects.filter(
        pk__in=partnerships.values(f"{other}_id"), kind="partner"
    ).order_by("name")


class NewRelationshipForm(PortalForm):
    indirect_provider = PartnerChoiceField(
        label=gettext_lazy("Indirect provider"),
        queryset=Tenant.objects.none(),
        required=False,
        empty_label=gettext_lazy("Select an indirect provider"),
        help_text=gettext_lazy(
            "The indirect provider the customer will buy through: it becomes the "
            "customer's reseller of record and bills it."
        ),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Choose one of your indirect providers: only a provider you "
                "partner with can be named."
            )
        },
    )
    include_admin = forms.BooleanField(
        label=gettext_lazy("Include delegated administration permissions"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "The customer's administrator then grants your Admin agents and Helpdesk agents "
            "admin roles in their organization when they accept."
        ),
    )
    label = forms.CharField(
        label=gettext_lazy("For whom is this request?"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "A name or email to find the request again in the list. The customer doesn't see it."
        ),
    )
    recipient_email = forms.EmailField(
        label=gettext_lazy("Recipient email"),
        max_length=254,
        required=False,
        help_text=gettext_lazy(
            "To send the request from Partner Center. You can also copy it or open it "
            "in your own email."
        ),
    )

    language = EmailLanguageField()

    def __init__(self, *args, partner: Tenant, language: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing is known of the customer yet: the email starts in the agent's language.
        self.fields["language"].initial = language
        self.two_tier = rules.partnership_side(partner) == "reseller"
        if self.two_tier:
            providers = partnered(partner)
            field = self.fields["indirect_provider"]
            field.queryset = providers
            field.required = True
            field.error_messages["required"] = _(
                "Choose the indirect provider this customer will buy through."
            )
            self.providers = list(providers)
            if len(self.providers) == 1:
                field.initial = self.providers[0].pk
        else:
            del self.fields["indirect_provider"]
            self.providers = []
        self.admin_required = rules.admin_permissions_required(partner)
        if self.admin_required:
            # A disabled field ignores what is posted: a forged POST still asks for admin roles.
            field = self.fields["include_admin"]
            field.disabled = True
            field.help_text = _(
                "Always included for partners in Microsoft Cloud for US Government."
            )


class RequestFilterForm(PortalForm):
    STATUS_CHOICES = [("", gettext_lazy("All statuses"))] + [
        (s.value, s.label) for s in InvitationStatus
    ]

    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=STATUS_CHOICES, required=False)


class CustomerSearchForm(PortalForm):
    # "admin" is not a state of the row but a time: an admin relationship not yet ended.
    WITH_ADMIN = selectors.WITH_ADMIN
    RELATIONSHIP_CHOICES = [
        ("", gettext_lazy("All relationships")),
        ("reseller", gettext_lazy("Reseller")),
        (WITH_ADMIN, gettext_lazy("With an active admin relationship")),
        ("ended", gettext_lazy("Reseller relationship ended")),
        ("admin_only", gettext_lazy("Admin relationship only")),
    ]
    SORT_CHOICES = [
        ("name", gettext_lazy("Company name, A to Z")),
        ("-name", gettext_lazy("Company name, Z to A")),
        ("-since", gettext_lazy("Newest first")),
        ("since", gettext_lazy("Oldest first")),
    ]

    q = forms.CharField(
        label=gettext_lazy("Search"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": gettext_lazy("Company name, domain or Microsoft ID"),
            }
        ),
    )
    relationship = forms.ChoiceField(
        label=gettext_lazy("Relationship"), choices=RELATIONSHIP_CHOICES, required=False
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), choices=SORT_CHOICES, required=False)
    indirect = PartnerChoiceField(
        label=gettext_lazy("Indirect reseller"),
        queryset=Tenant.objects.none(),
        required=False,
        # Translators: the Indirect reseller (or Indirect provider) filter's choice of every one.
        empty_label=gettext_lazy("All"),
        to_field_name="pk",
    )

    def __init__(self, *args, partner: Tenant | None = None, **kwargs):
        """For an indirect provider, `indirect` filters by indirect reseller; for an indirect
        reseller, by indirect provider; a direct-bill partner has no such filter."""
        super().__init__(*args, **kwargs)
        self.side = rules.partnership_side(partner) if partner is not None else ""
        if not self.side:
            del self.fields["indirect"]
            return
        field = self.fields["indirect"]
        field.queryset = partnered(partner, active_only=False)
        if self.side == "reseller":
            field.label = _("Indirect provider")
            # The words its customer pages use for the relationship, through a provider.
            self.fields["relationship"].choices = [
                (value, _("Indirect reseller") if value == "reseller" else label)
                for value, label in self.RELATIONSHIP_CHOICES
            ]

    def search(self) -> selectors.CustomerFilter:
        """What the form asks of the Customer list (nothing, when it isn't valid)."""
        if not self.is_valid():
            return selectors.CustomerFilter()
        data = self.cleaned_data
        indirect = data.get("indirect")
        return selectors.CustomerFilter(
            q=data["q"].strip(),
            relationship=data["relationship"],
            indirect=str(indirect.pk) if indirect else "",
        )


AGREEMENT_ATTESTED = "attested"
AGREEMENT_LATER = "later"


class AddCustomerForm(OrganizationProfileForm):
    """The company, its address and primary contact (who becomes its first Global
    administrator), and the Customer Agreement: attested now, or accepted later."""

    contact_required = True

    name = forms.CharField(label=gettext_lazy("Company name"), max_length=200)
    domain_prefix = forms.CharField(
        label=gettext_lazy("Domain prefix"),
        max_length=63,
        help_text=gettext_lazy(
            "Lower-case letters, digits and hyphens. It can't be changed later."
        ),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    country = CountryChoiceField(
        label=gettext_lazy("Country or region"),
        queryset=None,
        empty_label=gettext_lazy("Select a country"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Choose a country in your market: you can only add customers there."
            )
        },
    )
    agreement = forms.ChoiceField(
        label=gettext_lazy("Microsoft Customer Agreement"),
        widget=forms.RadioSelect,
        choices=[
            (
                AGREEMENT_ATTESTED,
                gettext_lazy("The customer has accepted the Microsoft Customer Agreement"),
            ),
            (
                AGREEMENT_LATER,
                gettext_lazy("The customer will accept it later in the admin center"),
            ),
        ],
        initial=AGREEMENT_LATER,
    )
    accepted_on = forms.DateField(
        label=gettext_lazy("Date of acceptance"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The day the signer accepted the agreement; not in the future."),
    )

    indirect_reseller = PartnerChoiceField(
        label=gettext_lazy("Indirect reseller (optional)"),
        queryset=Tenant.objects.none(),
        required=False,
        empty_label=gettext_lazy("None: the customer buys from you directly"),
        help_text=gettext_lazy(
            "The indirect reseller that sells to this customer through you. It sees the "
            "customer in its Customer list."
        ),
        error_messages={"invalid_choice": gettext_lazy("Choose one of your indirect resellers.")},
    )

    field_order = ["name", "domain_prefix", "country"]
    NEEDED_TO_ATTEST = gettext_lazy("Needed when you attest the customer's acceptance.")

    def __init__(self, data=None, *args, partner: Tenant, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.partner = partner
        if rules.partnership_side(partner) == "provider":
            self.fields["indirect_reseller"].queryset = partnered(partner)
        else:
            del self.fields["indirect_reseller"]
        self.fields["country"].queryset = partner.country.market.countries.order_by("name")
        if self.fields["country"].queryset.count() == 1:
            self.fields["country"].initial = partner.country
        attesting = data is not None and data.get("agreement") == AGREEMENT_ATTESTED
        self.signer_form = SignerForm(
            data, prefix="signer", required=attesting, required_message=self.NEEDED_TO_ATTEST
        )

    def is_valid(self) -> bool:
        # Both forms are checked, so that every field shows its error at once.
        own = super().is_valid()
        return self.signer_form.is_valid() and own

    def clean_domain_prefix(self) -> str:
        prefix = self.cleaned_data["domain_prefix"].strip().lower()
        domain_prefix_validator(prefix)
        if not Tenant.objects.domain_available(prefix):
            raise ValidationError(
                _("%(domain)s is already taken. Choose another prefix.")
                % {"domain": domain_for(prefix)}
            )
        return prefix

    def clean_accepted_on(self):
        accepted_on = self.cleaned_data["accepted_on"]
        if accepted_on and accepted_on > timezone.localdate():
            raise ValidationError(_("The date of acceptance can't be in the future."))
        if accepted_on and accepted_on < timezone.localdate() - timedelta(days=3650):
            raise ValidationError(
                _("Enter the date the customer accepted, within the last 10 years.")
            )
        return accepted_on

    def clean(self):
        data = super().clean()
        attesting = data.get("agreement") == AGREEMENT_ATTESTED
        if attesting and not data.get("accepted_on") and "accepted_on" not in self.errors:
            self.add_error("accepted_on", self.NEEDED_TO_ATTEST)
        return data

    def details(self) -> services.CustomerDetails:
        data = self.cleaned_data
        return services.CustomerDetails(
            name=data["name"],
            domain_prefix=data["domain_prefix"],
            country=data["country"],
            profile=self.profile(),
        )

    def attestation(self) -> services.Attestation | None:
        if self.cleaned_data["agreement"] != AGREEMENT_ATTESTED:
            return None
        return services.Attestation(
            signer=self.signer_form.signer(), accepted_on=self.cleaned_data["accepted_on"]
        )


class PurchaseForm(PortalForm):
    indirect_reseller = PartnerChoiceField(
        label=gettext_lazy("On behalf of"),
        queryset=Tenant.objects.none(),
        required=False,
        empty_label=gettext_lazy("No indirect reseller: sold by you"),
        help_text=gettext_lazy(
            "The indirect reseller that sold this subscription. It sees the subscription "
            "on its own customer page."
        ),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Choose an indirect reseller that serves this customer through you."
            )
        },
    )
    offer = forms.ModelChoiceField(
        label=gettext_lazy("Offer"),
        queryset=Offer.objects.order_by("name"),
        empty_label=gettext_lazy("Select an offer"),
        error_messages={"invalid_choice": gettext_lazy("Choose an offer from the catalog.")},
    )
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity"), min_value=1, max_value=services.MAX_QUANTITY, initial=1
    )

    def __init__(self, *args, resellers=None, offers=None, **kwargs):
        """`resellers`: the indirect resellers that serve the customer through this partner (an
        indirect provider); none, and the form doesn't ask. `offers`: the catalog, by name, when
        the page has read it already (its choices, not read again)."""
        super().__init__(*args, **kwargs)
        if not resellers:
            del self.fields["indirect_reseller"]
        else:
            self.fields["indirect_reseller"].queryset = resellers
        if offers is not None:
            field = self.fields["offer"]
            field.choices = [
                ("", field.empty_label),
                *((offer.pk, field.label_from_instance(offer)) for offer in offers),
            ]


class SubscriptionChangeForm(PortalForm):
    CHANGE_QUANTITY = "quantity"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"

    change = forms.ChoiceField(
        choices=[
            (CHANGE_QUANTITY, gettext_lazy("Change quantity")),
            (SUSPEND, gettext_lazy("Suspend")),
            (REACTIVATE, gettext_lazy("Reactivate")),
        ]
    )
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity"),
        min_value=1,
        max_value=services.MAX_QUANTITY,
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("change") == self.CHANGE_QUANTITY and data.get("quantity") is None:
            self.add_error("quantity", _("Enter the new quantity."))
        return data

    def update(self) -> dict:
        data = self.cleaned_data
        if data["change"] == self.CHANGE_QUANTITY:
            return {"quantity": data["quantity"]}
        if data["change"] == self.SUSPEND:
            return {"status": SubscriptionStatus.SUSPENDED}
        return {"status": SubscriptionStatus.ACTIVE}


class ActivityFilterForm(PortalForm):
    start = forms.DateField(
        # Translators: the first day of the Activity log's period.
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        # Translators: the last day of the Activity log's period.
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    DEFAULT_DAYS = 30
    # The portal's first day, and a last day far enough from the calendar's end that a range
    # around it can still be computed.
    FIRST_DAY = date(2000, 1, 1)
    LAST_DAY = date(9998, 12, 31)

    def _in_range(self, name: str):
        day = self.cleaned_data.get(name)
        if day and not self.FIRST_DAY <= day <= self.LAST_DAY:
            raise ValidationError(
                _("Choose a date from %(first)s to %(last)s.")
                % {"first": text.day(self.FIRST_DAY), "last": text.day(self.LAST_DAY)}
            )
        return day

    def clean_start(self):
        return self._in_range("start")

    def clean_end(self):
        return self._in_range("end")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date must be on or after the start date."))
        return data

    def date_range(self):
        """(first day, last day), the last 30 days when not given."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or max(
            end - timedelta(days=self.DEFAULT_DAYS - 1), self.FIRST_DAY
        )
        return start, end
