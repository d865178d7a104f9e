"""Partner Center forms for admin relationships (GDAP), access assignments and security groups.

They parse what was posted and ask the rules in `tenancy.rules` what is wrong with it, so every
problem reads the same in the form as when a service refuses it.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy import rules, selectors, services
from tenancy.models import (
    AUTO_EXTEND_DAYS,
    ENTRA_ROLES,
    GLOBAL_ADMINISTRATOR,
    MAX_DAYS,
    MIN_DAYS,
    NAME_MAX_LENGTH,
    ROLE_GROUPS,
    AdminRelationship,
    AdminRelationshipStatus,
    Membership,
    SecurityGroup,
    TemplateVersion,
    Tenant,
    sorted_roles,
)
from tenancy.web.forms import EmailLanguageField, PortalForm


def _formatted(message, **values) -> str:
    """`message % values` (`message` a gettext_lazy), made when it is shown: in the language of
    the request, not of the import."""
    return str(message) % values


lazy_formatted = lazy(_formatted, str)

DURATION_MESSAGE = lazy_formatted(
    # Translators: the shortest and the longest duration of an admin relationship, in days.
    gettext_lazy("Choose a duration from %(min_days)s to %(max_days)s days."),
    min_days=MIN_DAYS,
    max_days=MAX_DAYS,
)
GLOBAL_ADMINISTRATOR_WARNING = gettext_lazy(
    "Global Administrator gives your agents full control of the customer's organization. "
    "Choose it only if no other role will do: a relationship that includes it can't extend "
    "automatically."
)


class RolesField(forms.MultipleChoiceField):
    """Checkboxes of Microsoft Entra role ids. Whatever ids are posted are passed on to the
    rules, which name an unknown role, or one the relationship doesn't have, in their words."""

    widget = forms.CheckboxSelectMultiple
    MAX_VALUES = 100

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)  # the rules say "Select at least one ..."
        super().__init__(**kwargs)

    def validate(self, value):
        if len(value) > self.MAX_VALUES or any(len(role) > 100 for role in value):
            raise ValidationError(_("Select roles from the list."))


def add_problems(form: forms.Form, problems: dict[str, str]) -> None:
    """Problems by field (the rules', or a service's `AdminRequestInvalid.problems`), each on
    its field; a field that already has an error keeps only that one."""
    for name, message in problems.items():
        field = name if name in form.fields else None
        if field is None or field not in form.errors:
            form.add_error(field, message)


class RoleChoice:
    """One checkbox of the role picker, as the template shows it."""

    def __init__(self, info, checked: bool):
        self.info = info
        self.checked = checked
        self.id = info.id
        self.name = info.name
        self.meaning = info.meaning
        self.is_global_administrator = info.id == GLOBAL_ADMINISTRATOR


def _chosen(bound_field) -> set[str]:
    value = bound_field.value() or []
    return {str(role) for role in value}


class RequestShapeForm(PortalForm):
    """What a request asks for — duration, roles, auto extend — as a request and a template
    both ask it."""

    duration_days = forms.IntegerField(
        label=gettext_lazy("Duration in days"),
        initial=MAX_DAYS,
        error_messages={"required": DURATION_MESSAGE, "invalid": DURATION_MESSAGE},
        widget=forms.NumberInput(attrs={"min": MIN_DAYS, "max": MAX_DAYS}),
        help_text=lazy_formatted(
            gettext_lazy(
                # Translators: the shortest and the longest duration of an admin relationship.
                "From %(min_days)s to %(max_days)s days. It counts from the customer's approval."
            ),
            min_days=MIN_DAYS,
            max_days=MAX_DAYS,
        ),
    )
    roles = RolesField(
        label=gettext_lazy("Select Microsoft Entra roles"),
        choices=[(role.id, role.name) for role in sorted_roles(ENTRA_ROLES)],
    )
    auto_extend = forms.TypedChoiceField(
        label=gettext_lazy("Auto extend"),
        choices=[("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))],
        coerce=lambda value: value == "yes",
        initial="no",
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose whether the relationship extends automatically.")
        },
        help_text=lazy_formatted(
            gettext_lazy(
                # Translators: %(days)s is 180, the days an admin relationship extends by.
                "Yes: the relationship extends by %(days)s days each time it would end, until "
                "either side ends it. Not possible with Global Administrator."
            ),
            days=AUTO_EXTEND_DAYS,
        ),
    )

    def role_groups(self) -> list[tuple[str, list[RoleChoice]]]:
        """The catalog by group, in ROLE_GROUPS' order, least privileged first in each."""
        chosen = _chosen(self["roles"])
        infos = sorted_roles(ENTRA_ROLES)
        return [
            (group, [RoleChoice(info, info.id in chosen) for info in infos if info.group == group])
            for group in ROLE_GROUPS
        ]

    def global_administrator_chosen(self) -> bool:
        return GLOBAL_ADMINISTRATOR in _chosen(self["roles"])


class AdminRelationshipForm(RequestShapeForm):
    """Create an admin relationship request: name, duration, customer, roles, auto extend; from
    a template's version (`template`), its roles, duration and auto extend to start with."""

    name = forms.CharField(
        label=gettext_lazy("Admin relationship name"),
        error_messages={"required": gettext_lazy("Enter a name for the admin relationship.")},
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX_LENGTH, "autocomplete": "off"}),
        help_text=lazy_formatted(
            gettext_lazy(
                "At most %(max_length)s characters, unique in your organization (ended "
                "relationships included). The customer sees it."
            ),
            max_length=NAME_MAX_LENGTH,
        ),
    )
    customer = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The template version the request starts from (its mappings apply on approval while the
    # request asks for exactly what the version does).
    template_version = forms.UUIDField(required=False, widget=forms.HiddenInput)
    language = EmailLanguageField()

    field_order = ["name", "duration_days", "customer", "roles", "auto_extend", "language"]

    def __init__(self, *args, partner: Tenant, language: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner
        # The customer's country's main language when the request names a customer, else the
        # agent's.
        self.fields["language"].initial = language

    def clean_customer(self) -> Tenant | None:
        customer_id = self.cleaned_data["customer"]
        if customer_id is None:
            return None
        customer = customer_for_request(self.partner, customer_id)
        if customer is None:
            raise ValidationError(
                _("Choose one of your customers, or request the relationship for any customer.")
            )
        return customer

    def clean_template_version(self) -> TemplateVersion | None:
        version_id = self.cleaned_data["template_version"]
        if version_id is None:
            return None
        version = (
            TemplateVersion.objects.select_related("template")
            .filter(pk=version_id, template__partner=self.partner)
            .first()
        )
        if version is None:
            raise ValidationError(_("Choose one of your organization's templates."))
        return version

    def clean(self):
        data = super().clean()
        add_problems(
            self,
            rules.admin_request_problems(
                name=data.get("name", ""),
                duration_days=data.get("duration_days"),
                roles=data.get("roles", []),
                auto_extend=bool(data.get("auto_extend")),
            ),
        )
        return data

    def admin_request(self) -> services.AdminRequest:
        data = self.cleaned_data
        return services.AdminRequest(
            name=data["name"],
            duration_days=data["duration_days"],
            roles=data["roles"],
            auto_extend=data["auto_extend"],
        )

    def from_template(self) -> TemplateVersion | None:
        """The version the request was made from, when it still asks for exactly what the
        version does (else its mappings would give roles nobody approved as such)."""
        version = self.cleaned_data.get("template_version")
        data = self.cleaned_data
        if version is not None and (
            sorted(set(data["roles"])) == sorted(version.roles)
            and data["duration_days"] == version.duration_days
            and data["auto_extend"] == version.auto_extend
        ):
            return version
        return None


def customer_for_request(partner: Tenant, customer_id) -> Tenant | None:
    """One of the partner's own customers (its Customer list): an admin relationship request can
    name no other organization."""
    return selectors.customers_of(partner).select_related("country").filter(pk=customer_id).first()


class SendForm(PortalForm):
    to = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        error_messages={
            "required": gettext_lazy("Enter the email address to send the request to."),
            "invalid": gettext_lazy("Enter a valid email address."),
        },
        help_text=gettext_lazy(
            "The customer's Global administrator, or someone who will pass it on."
        ),
    )


class AdminRelationshipFilterForm(PortalForm):
    STATUS_CHOICES = [("", gettext_lazy("All statuses")), *AdminRelationshipStatus.choices]

    q = forms.CharField(
        label=gettext_lazy("Search"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Name or customer")}
        ),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=STATUS_CHOICES, required=False)


class _AssignmentRolesMixin:
    relationship: AdminRelationship

    def _relationship_roles(self):
        return [(info.id, info.name) for info in self.relationship.role_infos]

    def role_choices(self) -> list[RoleChoice]:
        chosen = _chosen(self["roles"])
        return [RoleChoice(info, info.id in chosen) for info in self.relationship.role_infos]

    def clean(self):
        data = super().clean()
        if "roles" in data:
            add_problems(
                self,
                rules.assignment_problems(
                    roles=data["roles"], relationship_roles=self.relationship.roles
                ),
            )
        return data


class AccessAssignmentForm(_AssignmentRolesMixin, PortalForm):
    """Give one of the partner's security groups some of a relationship's roles."""

    group = forms.ModelChoiceField(
        label=gettext_lazy("Security group"),
        queryset=SecurityGroup.objects.none(),
        empty_label=gettext_lazy("Select a security group"),
        error_messages={
            "required": gettext_lazy("Choose a security group."),
            "invalid_choice": gettext_lazy("Choose one of your organization's security groups."),
        },
    )
    roles = RolesField(label=gettext_lazy("Roles"))

    def __init__(self, *args, relationship: AdminRelationship, **kwargs):
        super().__init__(*args, **kwargs)
        self.relationship = relationship
        self.fields["group"].queryset = SecurityGroup.objects.filter(
            partner_id=relationship.partner_id
        ).order_by("name")
        self.fields["roles"].choices = self._relationship_roles()


class AccessAssignmentEditForm(_AssignmentRolesMixin, PortalForm):
    roles = RolesField(label=gettext_lazy("Roles"))

    def __init__(self, *args, relationship: AdminRelationship, **kwargs):
        super().__init__(*args, **kwargs)
        self.relationship = relationship
        self.fields["roles"].choices = self._relationship_roles()


class SecurityGroupForm(PortalForm):
    name = forms.CharField(
        label=gettext_lazy("Group name"),
        max_length=120,
        error_messages={"required": gettext_lazy("Enter a name for the security group.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("What the group's members do, for instance “Helpdesk, first line”."),
    )


class SecurityGroupRenameForm(PortalForm):
    name = forms.CharField(
        label=gettext_lazy("Group name"),
        max_length=120,
        error_messages={"required": gettext_lazy("Enter a name for the security group.")},
    )


class MemberAddForm(PortalForm):
    member = forms.ModelChoiceField(
        label=gettext_lazy("User"),
        queryset=Membership.objects.none(),
        empty_label=gettext_lazy("Select a user"),
        error_messages={
            "required": gettext_lazy("Choose a user to add."),
            "invalid_choice": gettext_lazy(
                "Choose one of your organization's users who isn't a member yet."
            ),
        },
    )

    def __init__(self, *args, group: SecurityGroup, **kwargs):
        super().__init__(*args, **kwargs)
        # Partners have few users: all of them, less the members, in one select.
        field = self.fields["member"]
        field.queryset = (
            Membership.objects.filter(tenant_id=group.partner_id)
            .exclude(security_groups=group)
            .select_related("user")
            .order_by("user__username")
        )
        field.label_from_instance = lambda membership: membership.user.get_username()
