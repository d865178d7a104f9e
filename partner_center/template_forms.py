"""Partner Center's form for an admin relationship template: a name, what its requests ask for
(roles, duration, auto extend), and which of the partner's security groups get which of those
roles once a customer approves (its mappings)."""

import uuid

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partner_center.admin_forms import RequestShapeForm, RoleChoice, RolesField, add_problems
from tenancy import rules, services
from tenancy.models import (
    ENTRA_ROLES,
    TEMPLATE_NAME_MAX,
    SecurityGroup,
    TemplateVersion,
    Tenant,
    sorted_roles,
)

# A mapping's checkboxes are named "group-<security group id>", one value per role.
MAPPING_PREFIX = "group-"


class MappingRow:
    """One security group of the partner, and the roles the form gives it (as checkboxes)."""

    def __init__(self, group: SecurityGroup, chosen: set[str], template_roles: set[str]):
        self.group = group
        self.field_name = f"{MAPPING_PREFIX}{group.pk}"
        self.roles = [RoleChoice(info, info.id in chosen) for info in sorted_roles(ENTRA_ROLES)]
        self.chosen = chosen
        # Shown first (without JavaScript, all are shown; with it, only the template's).
        self.template_roles = template_roles

    @property
    def count(self) -> int:
        return len(self.chosen)


class TemplateForm(RequestShapeForm):
    name = forms.CharField(
        label=gettext_lazy("Template name"),
        error_messages={"required": gettext_lazy("Enter a name for the template.")},
        widget=forms.TextInput(attrs={"maxlength": TEMPLATE_NAME_MAX, "autocomplete": "off"}),
        help_text=gettext_lazy(
            "Your agents see it; customers don't. Each request made from the template is named "
            "after it and the customer."
        ),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("What the template is for, for instance “First-line support”."),
    )

    field_order = ["name", "description", "duration_days", "roles", "auto_extend"]

    def __init__(self, *args, partner: Tenant, version: TemplateVersion | None = None, **kwargs):
        if version is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": version.template.name,
                "description": version.template.description,
                "duration_days": version.duration_days,
                "roles": version.roles,
                "auto_extend": "yes" if version.auto_extend else "no",
            }
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.groups = list(SecurityGroup.objects.filter(partner=partner).order_by("name"))
        self.initial_mappings = (
            {mapping.group_id: set(mapping.roles) for mapping in version.mappings.all()}
            if version is not None
            else {}
        )
        self.mapping_error = ""

    def _posted_mappings(self) -> list[tuple[SecurityGroup, list[str]]] | None:
        """(group, roles) for each group given a role; None when a posted group is none of the
        partner's."""
        by_id = {str(group.pk): group for group in self.groups}
        mappings = []
        for key in self.data:
            if not key.startswith(MAPPING_PREFIX):
                continue
            group_id = key.removeprefix(MAPPING_PREFIX)
            try:
                group_id = str(uuid.UUID(group_id))
            except ValueError:
                return None
            if group_id not in by_id:
                return None
            roles = [role for role in self.data.getlist(key) if role][: RolesField.MAX_VALUES]
            if roles:
                mappings.append((by_id[group_id], roles))
        return mappings

    def clean(self):
        data = super().clean()
        mappings = self._posted_mappings()
        if mappings is None:
            self.mapping_error = _("Choose your organization's own security groups.")
            self.add_error(None, self.mapping_error)
            return data
        data["mappings"] = mappings
        problems = rules.template_problems(
            name=data.get("name", ""),
            roles=data.get("roles", []),
            duration_days=data.get("duration_days"),
            auto_extend=bool(data.get("auto_extend")),
            mappings=mappings,
        )
        self.show_problems(problems)
        return data

    def show_problems(self, problems: dict) -> None:
        """Each problem on its field; the mappings' beside them (and in the summary)."""
        if "mappings" in problems:
            self.mapping_error = problems["mappings"]
        add_problems(self, problems)

    def content(self) -> services.TemplateContent:
        data = self.cleaned_data
        return services.TemplateContent(
            name=data["name"],
            description=data.get("description", ""),
            roles=data["roles"],
            duration_days=data["duration_days"],
            auto_extend=data["auto_extend"],
            mappings=data["mappings"],
        )

    def mapping_rows(self) -> list[MappingRow]:
        template_roles = {str(role) for role in (self["roles"].value() or [])}
        rows = []
        for group in self.groups:
            if self.is_bound:
                chosen = set(self.data.getlist(f"{MAPPING_PREFIX}{group.pk}"))
            else:
                chosen = self.initial_mappings.get(group.pk, set())
            rows.append(MappingRow(group, chosen, template_roles))
        return rows
