"""Emails, each a trio of templates: `<name>_subject.txt`, `<name>.txt` and `<name>.html`."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def _plain(template_name: str, context: dict) -> str:
    """A plain-text template rendered as plain text: "&" stays "&" (only HTML is escaped)."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def render_email(name: str, context: dict) -> EmailContent:
    subject = _plain(f"emails/{name}_subject.txt", context)
    return EmailContent(
        subject=" ".join(subject.split()),
        text=_plain(f"emails/{name}.txt", context).strip() + "\n",
        html=render_to_string(f"emails/{name}.html", context),
    )


def send_email(content: EmailContent, to: list[str], *, reply_to: list[str] | None = None) -> None:
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to or [],
    )
    message.attach_alternative(content.html, "text/html")
    message.send()
