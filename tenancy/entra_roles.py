"""The Microsoft Entra roles a partner can ask a customer for, and the limits of an admin
relationship (granular delegated admin privileges): reference data, as Microsoft publishes it.

Names, groups and meanings are translated when shown; the ids are the role template ids Microsoft
Entra and Microsoft Graph use.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

NAME_MAX_LENGTH = 50
MIN_DAYS, MAX_DAYS = 1, 730
AUTO_EXTEND_DAYS = 180
EXPIRING_DAYS = 30
# An unanswered request lapses this long after it was finalized (as in Partner Center).
REQUEST_VALID_DAYS = 90


@dataclass(frozen=True)
class EntraRoleInfo:
    """A Microsoft Entra role: its name, group and meaning are in the request's language."""

    id: str  # the role template id Microsoft Entra and Graph use
    name: str
    group: str
    meaning: str
    # Least privileged first: the order the request form lists a group's roles in.
    rank: int


# The groups the request form shows, in this order (least privileged first).
_READ_ONLY = gettext_lazy("Read only")
_SUPPORT = gettext_lazy("Support and users")
_LICENCES = gettext_lazy("Licences and billing")
_SERVICES = gettext_lazy("Microsoft 365 services")
_SECURITY = gettext_lazy("Security")
_DIRECTORY = gettext_lazy("Directory and privileged roles")
ROLE_GROUPS = [_READ_ONLY, _SUPPORT, _LICENCES, _SERVICES, _SECURITY, _DIRECTORY]

_CATALOG = [
    EntraRoleInfo(
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        gettext_lazy("Directory Readers"),
        _READ_ONLY,
        gettext_lazy("See the organization's basic directory: users, groups and their properties."),
        1,
    ),
    EntraRoleInfo(
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        gettext_lazy("Global Reader"),
        _READ_ONLY,
        gettext_lazy("See every admin setting a Global Administrator sees, without changing any."),
        2,
    ),
    EntraRoleInfo(
        "5d6b6bb7-de71-4623-b4af-96380a352509",
        gettext_lazy("Security Reader"),
        _READ_ONLY,
        gettext_lazy("Read security reports, alerts and settings."),
        3,
    ),
    EntraRoleInfo(
        "f023fd81-a637-4b56-95fd-791ac0226033",
        gettext_lazy("Service Support Administrator"),
        _SUPPORT,
        gettext_lazy("Open and follow support requests with Microsoft and read service health."),
        10,
    ),
    EntraRoleInfo(
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        gettext_lazy("Helpdesk Administrator"),
        _SUPPORT,
        gettext_lazy("Reset the passwords of users who are not administrators."),
        11,
    ),
    EntraRoleInfo(
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        gettext_lazy("User Administrator"),
        _SUPPORT,
        gettext_lazy(
            "Create, change and delete users and groups, and reset most users' passwords."
        ),
        12,
    ),
    EntraRoleInfo(
        "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        gettext_lazy("License Administrator"),
        _LICENCES,
        gettext_lazy("Assign and remove product licences and change subscription quantities."),
        20,
    ),
    EntraRoleInfo(
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        gettext_lazy("Billing Administrator"),
        _LICENCES,
        gettext_lazy(
            "Buy, change and cancel subscriptions, and manage invoices and payment details."
        ),
        21,
    ),
    EntraRoleInfo(
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        gettext_lazy("Exchange Administrator"),
        _SERVICES,
        gettext_lazy("Manage mailboxes, mail flow and every Exchange Online setting."),
        30,
    ),
    EntraRoleInfo(
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        gettext_lazy("SharePoint Administrator"),
        _SERVICES,
        gettext_lazy("Manage SharePoint sites, OneDrive and their sharing settings."),
        31,
    ),
    EntraRoleInfo(
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        gettext_lazy("Teams Administrator"),
        _SERVICES,
        gettext_lazy("Manage Microsoft Teams: teams, meetings, calling and their policies."),
        32,
    ),
    EntraRoleInfo(
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        gettext_lazy("Security Administrator"),
        _SECURITY,
        gettext_lazy("Change security settings and policies, and act on security alerts."),
        40,
    ),
    EntraRoleInfo(
        "9360feb5-f418-4baa-8175-e2a00bac4301",
        gettext_lazy("Directory Writers"),
        _DIRECTORY,
        gettext_lazy(
            "Change basic directory information; meant for applications rather than people."
        ),
        50,
    ),
    EntraRoleInfo(
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        gettext_lazy("Privileged Authentication Administrator"),
        _DIRECTORY,
        gettext_lazy("Reset the sign-in methods of any user, administrators included."),
        51,
    ),
    EntraRoleInfo(
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        gettext_lazy("Privileged Role Administrator"),
        _DIRECTORY,
        gettext_lazy("Give anyone any admin role, including Global Administrator."),
        52,
    ),
    EntraRoleInfo(
        "62e90394-69f5-4237-9190-012177145e10",
        gettext_lazy("Global Administrator"),
        _DIRECTORY,
        gettext_lazy(
            "Everything: every setting, every user and every service in the organization."
        ),
        53,
    ),
]

ENTRA_ROLES: dict[str, EntraRoleInfo] = {role.id: role for role in _CATALOG}
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
LICENSE_ADMINISTRATOR = "4d6ac14f-3453-41d0-bef9-a3e0c569773a"
BILLING_ADMINISTRATOR = "b0f54661-2d74-4c50-afa3-1ec803f12efe"

# What "Include delegated administration permissions" on a reseller request asks for: the
# roles a partner needs to run a customer's day-to-day services, none of them Global
# Administrator, for two years, extended automatically (allowed because Global Administrator
# isn't among them).
DEFAULT_ROLES = [
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",  # Directory Readers
    "f023fd81-a637-4b56-95fd-791ac0226033",  # Service Support Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
    "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a",  # License Administrator
]
DEFAULT_DAYS = 730
DEFAULT_AUTO_EXTEND = True


def sorted_roles(role_ids) -> list[EntraRoleInfo]:
    """The catalog entries of `role_ids`, least privileged first; unknown ids are left out."""
    return sorted(
        (ENTRA_ROLES[role] for role in set(role_ids) if role in ENTRA_ROLES),
        key=lambda role: role.rank,
    )


def role_names(role_ids) -> list[str]:
    """The roles' names, least privileged first, in the request's language."""
    return [str(role.name) for role in sorted_roles(role_ids)]
