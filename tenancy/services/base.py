"""What every service shares: the refusal it raises and the audit line it writes."""

from tenancy.models import AuditAction, AuditEvent, Invitation, Tenant


class ServiceError(Exception):
    """A business refusal: the message is for the person who asked."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


def audit(
    *,
    action: AuditAction,
    actor=None,
    actor_tenant: Tenant | None = None,
    partner: Tenant | None = None,
    customer: Tenant | None = None,
    invitation: Invitation | None = None,
    details: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_label=actor.get_username() if actor else "",
        actor_tenant=actor_tenant,
        partner=partner,
        customer=customer,
        invitation=invitation,
        details=details or {},
    )
