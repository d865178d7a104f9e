"""Audit lines as a reader reads them, in the reader's language.

A line stores what happened as codes and facts (its action, and for a refusal the reason's code
and the names and dates it concerned); it is worded here, when it is shown, so a French agent
reads a French activity log whatever language the person who did it worked in.
"""

from django.utils.translation import gettext_lazy

from tenancy.choices import AuditAction, Role

# Why a partner's request was refused, in a few words (the page the customer saw said it in
# full; the line keeps the code).
REFUSAL_REASONS = {
    "changed_link": gettext_lazy("the link was altered"),
    "wrong_portal": gettext_lazy("opened in the other admin portal"),
    "revoked": gettext_lazy("the request was revoked"),
    "withdrawn": gettext_lazy("the request was withdrawn"),
    "answered": gettext_lazy("another organization had answered it"),
    "expired": gettext_lazy("the request had expired"),
    "partnership": gettext_lazy("the two partners no longer partner"),
    "not_customer": gettext_lazy("not an account of a customer organization"),
    "other_customer": gettext_lazy("the request is for another organization"),
    "cloud": gettext_lazy("the customer is in another cloud"),
    "market": gettext_lazy("the customer is outside the partner's market"),
    "role": gettext_lazy("the user's role can't answer it"),
    "other_provider": gettext_lazy("served through another indirect provider"),
}

REFUSED = (AuditAction.INVITATION_REFUSED, AuditAction.ADMIN_REFUSED)


def audit_detail(event) -> str:
    """What the line adds to its action, in the reader's language ("" when nothing): why a
    request was refused, which roles an app was given."""
    details = event.details or {}
    if event.action in REFUSED:
        code = details.get("reason", "")
        return str(REFUSAL_REASONS.get(code, code))
    if event.action == AuditAction.APP_REGISTERED:
        return ", ".join(
            str(Role(role).label) if role in Role.values else str(role)
            for role in details.get("roles", [])
        )
    return ""
