"""Webhook delivery: where a webhook may point, how a delivery is signed, and the task that
POSTs it and records every attempt.

Signature (the Standard Webhooks scheme, https://www.standardwebhooks.com): each request carries

    webhook-id: <the event's id>               (the same on every attempt: dedupe on it)
    webhook-timestamp: <Unix seconds of this attempt>
    webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">

keyed with the secret's bytes (the base64 after `whsec_`). A receiver checks it with the
standardwebhooks package, which also refuses a timestamp more than five minutes off:

    from standardwebhooks.webhooks import Webhook
    payload = Webhook("whsec_...").verify(request_body, request_headers)  # raises if forged

Addresses (server-side request forgery): a webhook's host must resolve only to public addresses;
loopback, private, link-local (169.254.169.254, the cloud's metadata service), multicast,
reserved and unspecified ones are refused, loopback alone let through by
WEBHOOKS_ALLOW_LOOPBACK. The check runs when the URL is saved and again at every attempt, and
the attempt connects to the address it checked (a name that resolves elsewhere a moment later
changes nothing). Redirects are not followed: a 3xx is a failed attempt.
"""

import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from tenancy.models import (
    AttemptOutcome,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
)
from tenancy.models.webhooks import ERROR_MAX_LENGTH
from tenancy.net_addresses import address_problem
from tenancy.tasks import GiveUp, retried_task, through_outage

USER_AGENT = "PartnerCenter-Webhooks/1.0"
PUBLIC_ONLY = "Webhooks are sent only to public internet addresses."
PAYLOAD_KEYS = (
    "EventName",
    "ResourceUri",
    "ResourceName",
    "AuditUri",
    "ResourceChangeUtcDate",
    "EventId",
)


class AddressRefused(Exception):
    """The URL can't be a webhook's: the message says why, for the person who typed it."""


def _ip_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    return address_problem(ip, allow_loopback=settings.WEBHOOKS_ALLOW_LOOPBACK)


def checked_target(url: str) -> tuple[SplitResult, str]:
    """The URL's parts and the address to connect to, or AddressRefused saying what is wrong."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("Enter a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Use an http:// or https:// URL.")
    host = parts.hostname
    if not host:
        raise AddressRefused("Enter a full URL, such as https://hooks.example.com/partner-center.")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(
            "Leave the user name and password out of the URL: every delivery is signed instead."
        )
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise AddressRefused(f"{host} can't be found. Check the address.") from None
        # Without the scope of an IPv6 link-local address ("fe80::1%eth0").
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    # Every address the name has must be public: a connection could go to any of them.
    for address in addresses:
        problem = _ip_problem(address)
        if problem:
            what = host if literal is not None else f"{host} resolves to {address}, which"
            raise AddressRefused(f"{what} is {problem}. {PUBLIC_ONLY}")
    return parts, str(addresses[0])


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


def _post(parts: SplitResult, address: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST to the checked address (the Host header and the TLS certificate check still use the
    name); the status of the answer. No redirect is followed, no proxy used."""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)

    def connect_to_checked_address(_host_port, timeout, source_address=None):
        return socket.create_connection((address, port), timeout, source_address)

    # http.client's own seam for opening the socket (HTTPSConnection wraps what it returns).
    connection._create_connection = connect_to_checked_address
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status
    finally:
        connection.close()


@dataclass(frozen=True)
class Sent:
    outcome: AttemptOutcome
    status: int | None = None
    error: str = ""

    @property
    def summary(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else self.error


def _send(delivery: WebhookDelivery) -> Sent:
    subscription, event = delivery.subscription, delivery.event
    try:
        parts, address = checked_target(subscription.url)
    except AddressRefused as refusal:
        return Sent(AttemptOutcome.REFUSED, error=f"Not sent: {refusal}")
    # In the payload's own order (PostgreSQL's jsonb keeps keys in an order of its own).
    body = json.dumps({key: event.payload[key] for key in PAYLOAD_KEYS if key in event.payload})
    headers = signed_headers(
        secret=subscription.secret,
        message_id=str(event.id),
        body=body,
        at=datetime.now(UTC),
    )
    timeout = settings.WEBHOOKS_TIMEOUT
    try:
        status = _post(parts, address, body.encode(), headers, timeout)
    except TimeoutError:
        return Sent(AttemptOutcome.ERROR, error=f"No answer within {timeout:g} seconds.")
    except (OSError, http.client.HTTPException) as error:
        return Sent(AttemptOutcome.ERROR, error=f"{type(error).__name__}: {error}")
    if 200 <= status < 300:
        return Sent(AttemptOutcome.DELIVERED, status=status)
    return Sent(AttemptOutcome.REJECTED, status=status)


def _record(delivery: WebhookDelivery, sent: Sent, *, started: float, series: int, **changes):
    """The attempt, and the delivery's new state unless a Redeliver started another series."""
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            duration_ms=round((time.monotonic() - started) * 1000),
            response_status=sent.status,
            error=sent.error[:ERROR_MAX_LENGTH],
            outcome=sent.outcome,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk, series=series).update(
            attempts=F("attempts") + 1, **changes
        )


class DeliveryFailed(Exception):
    """This attempt failed; the worker tries again later (tenancy.tasks' backoff)."""


@retried_task(takes_context=True)
def webhook_deliver(context, *, delivery_id: str, series: int) -> str:
    """One attempt at a delivery. Safe to repeat: a delivery that is no longer pending, or that
    a Redeliver has since sent again, is left as it is."""
    delivery = (
        WebhookDelivery.objects.select_related("event", "subscription")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise GiveUp(f"No webhook delivery {delivery_id}.")
    if delivery.series != series:
        return "Not sent: it was redelivered since."
    if delivery.status != DeliveryStatus.PENDING:
        return f"Not sent: already {delivery.get_status_display().lower()}."
    started = time.monotonic()
    if not delivery.subscription.is_active:
        sent = Sent(AttemptOutcome.REFUSED, error="Not sent: the webhook was deactivated.")
        _record(delivery, sent, started=started, series=series, status=DeliveryStatus.FAILED)
        return sent.error
    sent = _send(delivery)
    now = timezone.now()
    if sent.outcome == AttemptOutcome.DELIVERED:
        # The receiver has it: written through a database restart, or it would get it again.
        through_outage(
            _record,
            delivery,
            sent,
            started=started,
            series=series,
            status=DeliveryStatus.DELIVERED,
            delivered_at=now,
            next_attempt_at=None,
        )
        return f"Delivered: {sent.summary}."
    # Another attempt can't help an address that is refused, or a receiver that says it is gone.
    if sent.outcome == AttemptOutcome.REFUSED or sent.status == 410:
        _record(
            delivery,
            sent,
            started=started,
            series=series,
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
        )
        raise GiveUp(sent.summary)
    next_at = webhook_deliver.next_attempt_at(
        attempt=context.attempt, enqueued_at=context.task_result.enqueued_at, failed_at=now
    )
    if next_at is None:
        changes = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
    else:
        changes = {"next_attempt_at": next_at}
    _record(delivery, sent, started=started, series=series, **changes)
    raise DeliveryFailed(f"{delivery.subscription.url}: {sent.summary}")
