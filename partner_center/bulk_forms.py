"""Partner Center's forms for a bulk request: who it is for (a Customer list search, customers
picked on a page, or a pasted list), from which template, and whether to email each customer."""

import uuid

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partner_center.access import PAGE_SIZE
from partner_center.forms import CustomerSearchForm
from tenancy import services
from tenancy.models import AdminRelationshipTemplate, BulkItemState, Tenant
from tenancy.services.bulk_selection import PASTE_MAX_CHARACTERS, PASTE_MAX_LINES
from tenancy.web.forms import PortalForm

SEARCH, PICKED, PASTE = "search", "picked", "paste"
# At most this many customers ticked on the Customer list's pages (more: "Select all that match").
PICKED_MAX = PAGE_SIZE * 4


class BulkRequestForm(PortalForm):
    scope = forms.ChoiceField(
        choices=[(SEARCH, SEARCH), (PICKED, PICKED), (PASTE, PASTE)],
        widget=forms.HiddenInput,
        required=False,
    )
    template = forms.ModelChoiceField(
        label=gettext_lazy("Template"),
        queryset=AdminRelationshipTemplate.objects.none(),
        empty_label=gettext_lazy("Select a template"),
        required=False,  # the preview asks for one; choosing who comes first
        error_messages={
            "invalid_choice": gettext_lazy("Choose one of your organization's templates."),
        },
        help_text=gettext_lazy(
            "Each customer gets a request with the template's roles, duration and auto extend; "
            "its security groups get their roles when the customer approves."
        ),
    )
    lines = forms.CharField(
        label=gettext_lazy("Customers' domains or Microsoft IDs"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        required=False,
        strip=False,
        max_length=PASTE_MAX_CHARACTERS,
        help_text=gettext_lazy(
            "One per line; a CSV export's first column will do. A line that names none of your "
            "customers is reported, and the others go on."
        ),
    )
    send_email = forms.BooleanField(
        label=gettext_lazy("Email each request to the customer's Global administrators"),
        required=False,
        help_text=gettext_lazy(
            "In the customer's language. Otherwise, share the links from the job's results."
        ),
    )
    # The template version the preview showed: Start refuses if the template changed since.
    version = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, partner: Tenant, **kwargs):
        super().__init__(data, **kwargs)
        self.partner = partner
        self.fields["template"].queryset = AdminRelationshipTemplate.objects.filter(
            partner=partner
        ).select_related("latest__template")
        self.fields["lines"].error_messages["max_length"] = _(
            "Paste at most %(max)s characters; split a longer list into several jobs."
        ) % {"max": f"{PASTE_MAX_CHARACTERS:,}"}
        self.search_form = CustomerSearchForm(data, partner=partner)
        self.picked = self._picked(data)

    @staticmethod
    def _picked(data) -> tuple[str, ...]:
        if data is None:
            return ()
        picked = []
        for value in data.getlist("customer")[:PICKED_MAX]:
            try:
                picked.append(str(uuid.UUID(value)))
            except ValueError:
                continue
        return tuple(dict.fromkeys(picked))

    @property
    def chosen_scope(self) -> str:
        return self.data.get("scope", "") if self.is_bound else ""

    def selection(self) -> services.Selection | None:
        """Who the request is for; None (with a field error) when the form names nobody."""
        scope = self.cleaned_data.get("scope") or ""
        if scope == SEARCH:
            return services.Selection(search=self.search_form.search())
        if scope == PICKED:
            if not self.picked:
                self.add_error(None, _("Select at least one customer."))
                return None
            return services.Selection(picked=self.picked)
        if scope == PASTE:
            text = self.cleaned_data.get("lines", "")
            if not text.strip():
                self.add_error("lines", _("Paste at least one domain or Microsoft ID."))
                return None
            return services.Selection(pasted=text)
        self.add_error(None, _("Select at least one customer."))
        return None

    def search_facts(self) -> list[tuple[str, str]]:
        """The Customer list search, as (label, value) pairs a person reads."""
        search = self.search_form.search()
        facts = []
        if search.q:
            facts.append((_("Search"), f"“{search.q}”"))
        if search.relationship:
            labels = dict(self.search_form.fields["relationship"].choices)
            facts.append((_("Relationship"), str(labels.get(search.relationship, ""))))
        if search.indirect and "indirect" in self.search_form.fields:
            field = self.search_form.fields["indirect"]
            name = field.queryset.filter(pk=search.indirect).values_list("name", flat=True)
            facts.append((str(field.label), next(iter(name), "")))
        return facts

    def hidden_search(self) -> dict:
        """The Customer list search the selection carries (for the next form on the page)."""
        search = self.search_form.search()
        return search.to_json()


PASTE_LIMIT_TEXT = gettext_lazy("At most %(lines)s lines or %(characters)s characters.")


def paste_limits() -> str:
    return str(PASTE_LIMIT_TEXT) % {
        "lines": f"{PASTE_MAX_LINES:,}",
        "characters": f"{PASTE_MAX_CHARACTERS:,}",
    }


RESULT_FILTERS = [
    ("", gettext_lazy("All results")),
    (BulkItemState.DONE, gettext_lazy("Done")),
    (BulkItemState.SKIPPED, gettext_lazy("Skipped")),
    (BulkItemState.FAILED, gettext_lazy("Failed")),
    (BulkItemState.PENDING, gettext_lazy("Not done yet")),
]


class ResultFilterForm(PortalForm):
    state = forms.ChoiceField(label=gettext_lazy("Show"), choices=RESULT_FILTERS, required=False)
