"""Sign-in, sign-out and failed sign-ins, audited; the second-factor step set up at sign-in.

A failed sign-in is an audit line only when its password was checked (tenancy.web.sign_in_guard
took the try from an allowance); a try refused because the allowance is spent is not written,
so a guesser can't fill the audit trail. The failure that spends an allowance is a lock line too.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from tenancy import mfa
from tenancy.models import AuditAction
from tenancy.services.accounts import account_event
from tenancy.web import sign_in_guard
from tenancy.web.http import client_ip


@receiver(user_logged_in, dispatch_uid="tenancy.signed_in")
def signed_in(sender, request, user, **kwargs):
    pending = mfa.is_enrolled(user)
    if request is not None:
        sign_in_guard.succeeded(request)
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
    if request is None or (counted := sign_in_guard.failed(request)) is None:
        return
    failures, locked = counted
    user_name = str(credentials.get("username", ""))[:150]
    address = client_ip(request)
    account_event(
        None, AuditAction.SIGN_IN_FAILED, user_name=user_name, address=address, failures=failures
    )
    if locked:
        account_event(None, AuditAction.SIGN_IN_LOCKED, user_name=user_name or "", address=address)
