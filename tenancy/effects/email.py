"""Emails, each a trio of templates: `<name>_subject.txt`, `<name>.txt` and `<name>.html`.

Every email leaves through a task queued when the transaction that caused it commits, and the
worker sends it, retrying with backoff while the mail server is down (tenancy.tasks). A
rolled-back write sends nothing; a mail server that is down undoes nothing and loses nothing.

A request's own email (the one that carries its link) is rendered when it is sent, not when it is
queued: the link's token is never stored, not even in the queue. The task finds the request's kind
by name in `REQUEST_KINDS`, which the request kinds (tenancy.services.request_links) fill when they
are defined; the app's ready() imports them, in the web servers and in the worker alike.

An email is sent once: its task writes that it was sent right after the mail server took it, and
an attempt that runs after its worker died (tenancy.tasks' lease) finds that and sends nothing.
What can't be known (the server took it, but its answer was lost) is sent again with the same
Message-ID, the task's id, by which a mail system can tell it is the same email.
"""

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils import translation

from tenancy.tasks import GiveUp, done_before, enqueue_on_commit, record_done, retried_task

SENT = "Sent."


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def _plain(template_name: str, context: dict) -> str:
    """A plain-text template (.txt) is rendered as plain text: "&" stays "&" (tenancy.web.jinja
    escapes HTML only)."""
    return render_to_string(template_name, context)


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


def _send(context, *, subject: str, text: str, html: str, to: list[str], reply_to: list[str]):
    """Hand the email to the mail server and write, right after, that it was (record_done)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
        headers={"Message-ID": f"<{context.task_result.id}@{domain}>"},
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return record_done(context, SENT)


@retried_task(takes_context=True)
def send_email(
    context, *, subject: str, text: str, html: str, to: list[str], reply_to: list[str]
) -> str:
    if sent := done_before(context):
        return sent
    return _send(context, subject=subject, text=text, html=html, to=to, reply_to=reply_to)


# --- A request's own email ---------------------------------------------------------------------


class EmailedRequest(Protocol):
    """What the request email task needs of a kind of request."""

    name: str

    def get(self, pk): ...
    def waiting(self, request) -> bool: ...
    def email(self, request) -> EmailContent | None: ...


# Kinds of request by name (tenancy.services.request_links registers each).
REQUEST_KINDS: dict[str, EmailedRequest] = {}


def request_email_on_commit(kind: str, pk, to: list[str], *, reply_to: list[str] | None = None):
    """Send the request's own email (with its link) from the worker, once the current
    transaction commits."""
    enqueue_on_commit(
        send_request_email, kind=kind, pk=str(pk), to=list(to), reply_to=list(reply_to or [])
    )


@retried_task(takes_context=True)
def send_request_email(context, *, kind: str, pk: str, to: list[str], reply_to: list[str]) -> str:
    if sent := done_before(context):
        return sent
    requests = REQUEST_KINDS.get(kind)
    request = requests.get(pk) if requests is not None else None
    if request is None:
        raise GiveUp(f"No {kind} request {pk} to send.")
    # A request revoked while the mail server was down is not sent late.
    if not requests.waiting(request):
        return "Not sent: the request is no longer waiting for an answer."
    content = requests.email(request)
    if content is None:
        raise GiveUp("Its link can no longer be shown: the key it was made with was retired.")
    return _send(
        context,
        subject=content.subject,
        text=content.text,
        html=content.html,
        to=to,
        reply_to=reply_to,
    )
