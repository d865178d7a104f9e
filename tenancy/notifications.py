"""Emails, each a trio of templates: `<name>_subject.txt`, `<name>.txt` and `<name>.html`.

Every email leaves through a task queued when the transaction that caused it commits, and the
worker sends it, retrying with backoff while the mail server is down (tenancy.tasks). A
rolled-back write sends nothing; a mail server that is down undoes nothing and loses nothing.
"""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from tenancy.tasks import GiveUp, enqueue_on_commit, retried_task


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def _plain(template_name: str, context: dict) -> str:
    """A plain-text template rendered as plain text: "&" stays "&" (only HTML is escaped)."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def render_email(name: str, context: dict, *, language: str | None = None) -> EmailContent:
    """The email in `language` (the active language when None: a worker has none, so emails
    rendered there say which)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        subject = _plain(f"emails/{name}_subject.txt", context)
        return EmailContent(
            subject=" ".join(subject.split()),
            text=_plain(f"emails/{name}.txt", context).strip() + "\n",
            html=render_to_string(f"emails/{name}.html", context),
        )


def language_of(user) -> str:
    """The language a user reads Partner Center or the admin center in: their choice, else the
    site's default (an email has no browser to ask)."""
    membership = getattr(user, "membership", None) if user is not None else None
    return (membership.language if membership else "") or settings.LANGUAGE_CODE


def email_on_commit(content: EmailContent, to: list[str], *, reply_to: list[str] | None = None):
    """Send `content` to `to` from the worker, once the current transaction commits."""
    enqueue_on_commit(
        send_email,
        subject=content.subject,
        text=content.text,
        html=content.html,
        to=list(to),
        reply_to=list(reply_to or []),
    )


def request_email_on_commit(request, to: list[str], *, reply_to: list[str] | None = None):
    """Send a request's own email (`request.email()`: an Invitation's or an AdminRelationship's,
    with its link) from the worker, once the current transaction commits. It is rendered when
    it is sent: the link's token is never stored, not even in the queue (only its hash is)."""
    enqueue_on_commit(
        send_request_email,
        model=request._meta.label_lower,
        pk=str(request.pk),
        to=list(to),
        reply_to=list(reply_to or []),
    )


@retried_task
def send_email(*, subject: str, text: str, html: str, to: list[str], reply_to: list[str]) -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
    )
    message.attach_alternative(html, "text/html")
    message.send()


def _waiting_for_an_answer(request) -> bool | None:
    """Is the request still waiting (a request revoked while the mail server was down is not
    sent late)? None: not a request with an email."""
    from tenancy.models import AdminRelationship, AdminRelationshipStatus, Invitation

    if isinstance(request, Invitation):
        return request.is_open
    if isinstance(request, AdminRelationship):
        return request.display_status() == AdminRelationshipStatus.APPROVAL_PENDING
    return None


@retried_task
def send_request_email(*, model: str, pk: str, to: list[str], reply_to: list[str]) -> str:
    # The models import this module: they are read here, when the worker sends.
    from tenancy.models import LinkUnavailable

    request = apps.get_model(model)._default_manager.filter(pk=pk).first()
    waiting = None if request is None else _waiting_for_an_answer(request)
    if waiting is None:
        raise GiveUp(f"No request {model} {pk} to send.")
    if not waiting:
        return "Not sent: the request is no longer waiting for an answer."
    try:
        content = request.email()
    except LinkUnavailable as error:
        raise GiveUp(str(error)) from error
    send_email.call(
        subject=content.subject, text=content.text, html=content.html, to=to, reply_to=reply_to
    )
    return "Sent."
