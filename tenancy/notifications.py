"""Emails, each a trio of templates: `<name>_subject.txt`, `<name>.txt` and `<name>.html`."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def render_email(name: str, context: dict) -> EmailContent:
    subject = render_to_string(f"emails/{name}_subject.txt", context)
    return EmailContent(
        subject=" ".join(subject.split()),
        text=render_to_string(f"emails/{name}.txt", context).strip() + "\n",
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
