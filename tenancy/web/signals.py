"""Sign-in, sign-out and failed sign-ins, audited; the second-factor step set up at sign-in.

Axes counts failures in its own receivers, which run before these (its app comes first), so a
failure it refused without checking the password (the account or address is locked) has no
`axes_failures_since_start` (Axes sets it to None for each request) and is not written again: a
guesser can't fill the audit trail.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from tenancy import mfa
from tenancy.models import AuditAction
from tenancy.services.accounts import account_event
from tenancy.web.throttle import remember_lock


@receiver(user_logged_in, dispatch_uid="tenancy.signed_in")
def signed_in(sender, request, user, **kwargs):
    pending = mfa.is_enrolled(user)
    if request is not None and hasattr(request, "session"):
        if pending:
            request.session[mfa.SIGN_IN_PENDING] = True
        else:
            request.session.pop(mfa.SIGN_IN_PENDING, None)
    account_event(user, AuditAction.SIGNED_IN, filed=False, second_factor_next=pending)


@receiver(user_logged_out, dispatch_uid="tenancy.signed_out")
def signed_out(sender, request, user, **kwargs):
    if user is not None:
        account_event(user, AuditAction.SIGNED_OUT, filed=False)


@receiver(user_login_failed, dispatch_uid="tenancy.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    account_event(
        None,
        AuditAction.SIGN_IN_FAILED,
        user_name=str(credentials.get("username", ""))[:150],
        address=getattr(request, "axes_ip_address", None),
        failures=request.axes_failures_since_start,
    )


@receiver(user_locked_out, dispatch_uid="tenancy.locked_out")
def locked_out(sender, request, username, ip_address, **kwargs):
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    remember_lock(username=username, ip_address=ip_address)
    account_event(None, AuditAction.SIGN_IN_LOCKED, user_name=username or "", address=ip_address)
