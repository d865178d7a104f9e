"""Webhooks: subscriptions and their checks, the events the services raise, and delivery to a
real HTTP receiver on 127.0.0.1 (http.server in a thread): signed, retried with backoff by
django-tasks-db's real worker, timed out, never sent before the commit, never to an address
that isn't public."""

import json
import threading
from base64 import b64decode
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tenancy import services
from tenancy.effects import webhook_events
from tenancy.models import (
    AttemptOutcome,
    AuditAction,
    AuditEvent,
    Cloud,
    DeliveryAttempt,
    DeliveryStatus,
    Membership,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventName,
    WebhookSubscription,
)
from tenancy.services import WebhookInvalid
from tests.factories import AdminRelationshipFactory, InvitationFactory, SecurityGroupFactory
from tests.worker import run_worker, time_passes

HANG = "hang"
ALL_EVENTS = [name.value for name in WebhookEventName if name != WebhookEventName.TEST]


# --- A real receiver ----------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def verify(self, secret: str) -> dict:
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """An HTTP server on 127.0.0.1, in a thread. Each POST gets the next of `answers` (a status,
    or HANG: no answer until the test ends), then 204 once they run out; it keeps each one."""

    def __init__(self, port: int = 0):
        self.answers: list[int | str] = []
        self.received: list[Received] = []
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(Received(self.path, dict(self.headers), body))
                answer = receiver.answers.pop(0) if receiver.answers else 204
                if answer == HANG:
                    receiver.released.wait(10)
                    return
                self.send_response(answer)
                if 300 <= answer < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/partner-center"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def database_backend(settings):
    """Tasks are rows, run only by the worker (the suite's default runs them at once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def membership_of(user) -> Membership:
    return Membership.objects.of_user(user)


def subscribe(user, url: str, events=None) -> WebhookSubscription:
    return services.webhook_subscription_create(
        membership=membership_of(user), url=url, events=ALL_EVENTS if events is None else events
    )


def emit(partner, name=WebhookEventName.ADMIN_TERMINATED) -> WebhookEvent | None:
    return webhook_events.webhook_emit(
        partner=partner,
        name=name,
        resource_uri="https://partner.example.com/v1/tenantRelationships/x",
        resource_name="delegatedAdminRelationship",
    )


def the_delivery() -> WebhookDelivery:
    [delivery] = WebhookDelivery.objects.all()
    return delivery


def attempts(delivery) -> list[tuple]:
    return list(
        DeliveryAttempt.objects.filter(delivery=delivery).values_list("response_status", "outcome")
    )


# --- Delivery to a real receiver ----------------------------------------------------------------


@pytest.mark.usefixtures("reference_data")
@pytest.mark.django_db(transaction=True)
def test_a_delivery_is_signed_and_the_receiver_verifies_it_with_the_secret(
    receiver, partner_a, admin_agent
):
    subscription = subscribe(admin_agent, receiver.url)
    event = emit(partner_a)

    [got] = receiver.received
    assert got.path == "/hooks/partner-center"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["webhook-id"] == str(event.id)
    payload = got.verify(subscription.secret)
    assert payload == {
        "EventName": "granular-admin-relationship-terminated",
        "ResourceUri": "https://partner.example.com/v1/tenantRelationships/x",
        "ResourceName": "delegatedAdminRelationship",
        "AuditUri": payload["AuditUri"],
        "ResourceChangeUtcDate": payload["ResourceChangeUtcDate"],
        "EventId": str(event.id),
    }
    assert "/v1/auditrecords?startDate=" in payload["AuditUri"]
    assert payload["ResourceChangeUtcDate"].endswith("Z")
    # The check a receiver runs, by hand: HMAC-SHA256 of "<id>.<timestamp>.<body>".
    timestamp = got.headers["webhook-timestamp"]
    expected = Webhook(subscription.secret).sign(
        str(event.id), datetime.fromtimestamp(int(timestamp), UTC), got.body.decode()
    )
    assert got.headers["webhook-signature"] == expected

    with pytest.raises(WebhookVerificationError):
        got.verify(subscribe(admin_agent, receiver.url + "/other").secret)
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(
            got.body.replace(b"terminated", b"approved"), got.headers
        )

    delivery = the_delivery()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert attempts(delivery) == [(204, AttemptOutcome.DELIVERED)]


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_answers_500_twice_then_200_gets_the_event_exactly_once_more(
    receiver, partner_a, admin_agent
):
    subscription = subscribe(admin_agent, receiver.url)
    receiver.answers = [500, 500, 200]
    emit(partner_a)
    assert receiver.received == [], "queued for the worker"

    run_worker()
    assert len(receiver.received) == 1
    delivery = the_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=25)

    run_worker()
    assert len(receiver.received) == 1, "not due yet"

    time_passes()
    run_worker()
    assert len(receiver.received) == 2

    time_passes()
    run_worker()
    assert len(receiver.received) == 3

    for _ in range(3):
        time_passes()
        run_worker()
    assert len(receiver.received) == 3

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.delivered_at is not None
    assert delivery.attempts == 3
    assert attempts(delivery) == [
        (500, AttemptOutcome.REJECTED),
        (500, AttemptOutcome.REJECTED),
        (200, AttemptOutcome.DELIVERED),
    ]
    # One event, one id: each attempt is signed again, and each verifies.
    assert {got.headers["webhook-id"] for got in receiver.received} == {str(delivery.event_id)}
    for got in receiver.received:
        got.verify(subscription.secret)
    [task] = DBTaskResult.objects.all()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert len(task.worker_ids) == 3


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_hangs_times_out_and_is_retried(receiver, partner_a, admin_agent):
    subscribe(admin_agent, receiver.url)
    receiver.answers = [HANG]
    emit(partner_a)

    run_worker()
    delivery = the_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    [attempt] = DeliveryAttempt.objects.all()
    assert attempt.outcome == AttemptOutcome.ERROR
    assert attempt.response_status is None
    assert attempt.error == "No answer within 0.5 seconds."
    assert 450 <= attempt.duration_ms < 5000

    time_passes()
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == 2
    assert attempts(delivery) == [(None, AttemptOutcome.ERROR), (204, AttemptOutcome.DELIVERED)]


@pytest.mark.usefixtures("reference_data")
@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_before_the_transaction_commits(receiver, partner_a, admin_agent):
    subscribe(admin_agent, receiver.url)

    with transaction.atomic():
        emit(partner_a)
        assert receiver.received == []
    assert len(receiver.received) == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        emit(partner_a)
        raise RuntimeError
    assert len(receiver.received) == 1
    assert WebhookEvent.objects.count() == 1


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
def test_on_the_database_backend_the_task_commits_or_rolls_back_with_the_event(
    receiver, partner_a, admin_agent
):
    """No window between the commit and the queueing where a crash could lose a delivery."""
    subscribe(admin_agent, receiver.url)

    with pytest.raises(RuntimeError), transaction.atomic():
        emit(partner_a)
        assert DBTaskResult.objects.count() == 1  # in this transaction, unseen by workers
        raise RuntimeError
    assert not DBTaskResult.objects.exists()
    assert not WebhookDelivery.objects.exists()

    with transaction.atomic():
        emit(partner_a)
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["kwargs"] == {"delivery_id": str(the_delivery().pk), "series": 1}
    run_worker()
    assert len(receiver.received) == 1
    assert the_delivery().status == DeliveryStatus.DELIVERED


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
def test_after_its_last_attempt_a_delivery_is_failed_and_redeliver_sends_it_again(
    receiver, partner_a, admin_agent
):
    subscription = subscribe(admin_agent, receiver.url)
    receiver.answers = [503]
    emit(partner_a)
    # Queued a day ago: this attempt is its last.
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(days=1))

    run_worker()
    delivery = the_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED
    time_passes()
    run_worker()
    assert len(receiver.received) == 1

    services.webhook_redeliver(membership=membership_of(admin_agent), delivery=delivery)
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.series == 2
    assert attempts(delivery) == [(503, AttemptOutcome.REJECTED), (204, AttemptOutcome.DELIVERED)]
    assert [got.headers["webhook-id"] for got in receiver.received] == [str(delivery.event_id)] * 2
    receiver.received[1].verify(subscription.secret)
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_REDELIVERED).count() == 1


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
def test_a_redelivery_supersedes_the_attempts_still_waiting(receiver, partner_a, admin_agent):
    subscribe(admin_agent, receiver.url)
    receiver.answers = [500]
    emit(partner_a)
    run_worker()  # the first series waits for its second attempt
    services.webhook_redeliver(membership=membership_of(admin_agent), delivery=the_delivery())
    run_worker()
    assert len(receiver.received) == 2

    time_passes()
    run_worker()
    assert len(receiver.received) == 2, "the first series' next attempt does nothing"
    assert the_delivery().status == DeliveryStatus.DELIVERED


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("answer", "status", "outcome"),
    [(410, DeliveryStatus.FAILED, "gone for good"), (302, DeliveryStatus.PENDING, "retried")],
)
def test_gone_fails_at_once_and_a_redirect_is_not_followed(
    receiver, partner_a, admin_agent, answer, status, outcome
):
    subscribe(admin_agent, receiver.url)
    receiver.answers = [answer]
    emit(partner_a)
    run_worker()

    assert [got.path for got in receiver.received] == ["/hooks/partner-center"]
    assert the_delivery().status == status, outcome
    assert attempts(the_delivery()) == [(answer, AttemptOutcome.REJECTED)]


@pytest.mark.usefixtures("reference_data")
@pytest.mark.django_db(transaction=True)
def test_the_address_is_checked_again_when_sent(receiver, settings, partner_a, admin_agent):
    subscribe(admin_agent, receiver.url)
    settings.WEBHOOKS_ALLOW_LOOPBACK = False

    emit(partner_a)

    assert receiver.received == []
    delivery = the_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    [attempt] = DeliveryAttempt.objects.all()
    assert attempt.outcome == AttemptOutcome.REFUSED
    assert attempt.error.startswith("Not sent: 127.0.0.1 is a loopback address")


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
def test_a_deactivated_webhooks_waiting_delivery_is_not_sent(receiver, partner_a, admin_agent):
    subscription = subscribe(admin_agent, receiver.url)
    emit(partner_a)
    services.webhook_subscription_deactivate(
        membership=membership_of(admin_agent), subscription=subscription
    )
    run_worker()

    assert receiver.received == []
    assert the_delivery().status == DeliveryStatus.FAILED
    assert DeliveryAttempt.objects.get().error == "Not sent: the webhook was deactivated."
    assert emit(partner_a) is None, "no more events for it"


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
def test_the_queue_holds_ids_not_secrets(receiver, partner_a, admin_agent):
    subscription = subscribe(admin_agent, receiver.url)
    services.webhook_send_test(membership=membership_of(admin_agent), subscription=subscription)
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "tenancy.effects.webhook_delivery.webhook_deliver"
    assert subscription.secret not in json.dumps(task.args_kwargs)
    assert subscription.secret not in json.dumps(list(AuditEvent.objects.values("details")))

    run_worker()
    [got] = receiver.received
    assert got.verify(subscription.secret)["EventName"] == "test-created"
    assert got.verify(subscription.secret)["ResourceName"] == "test"


# --- Subscriptions ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://127.0.0.1:8000/hook",
            "127.0.0.1 is a loopback address (this server). Webhooks are sent only to public "
            "internet addresses.",
        ),
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("http://localhost/hook", "localhost resolves to"),
        ("http://10.1.2.3/hook", "10.1.2.3 is a private network address"),
        ("https://192.168.0.10/hook", "192.168.0.10 is a private network address"),
        ("http://[::ffff:10.0.0.1]/hook", "is a private network address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a link-local address (such as the cloud's metadata service)",
        ),
        ("http://224.0.0.1/hook", "224.0.0.1 is a multicast address"),
        ("http://0.0.0.0/hook", "0.0.0.0 is an unspecified address"),
        ("http://240.0.0.1/hook", "240.0.0.1 is a reserved address"),
        ("http://100.64.0.1/hook", "100.64.0.1 is not a public address"),
        ("ftp://hooks.example.com/hook", "Use an http:// or https:// URL."),
        ("hooks.example.com/hook", "Use an http:// or https:// URL."),
        ("https://", "Enter a full URL"),
        ("https://user:pw@203.0.113.5/hook", "Leave the user name and password out"),
        ("https://host.invalid/hook", "host.invalid can't be found. Check the address."),
        ("http://203.0.113.5:99999/", "Enter a valid URL."),
        ("", "Enter the URL to send events to."),
    ],
)
def test_a_url_that_is_not_a_public_http_address_is_refused(admin_agent, url, message):
    with pytest.raises(WebhookInvalid) as refused:
        subscribe(admin_agent, url)
    assert message in refused.value.problems["url"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.django_db
def test_the_loopback_setting_lets_loopback_through_and_nothing_else(settings, admin_agent):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert subscribe(admin_agent, "http://127.0.0.1:9/hook").is_active
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://[fe80::1]/"):
        with pytest.raises(WebhookInvalid):
            subscribe(admin_agent, url)


@pytest.mark.django_db
def test_events_must_be_known_and_at_least_one(settings, admin_agent):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with pytest.raises(WebhookInvalid) as refused:
        subscribe(admin_agent, "http://127.0.0.1/", events=[])
    assert refused.value.problems == {"events": "Select at least one event."}
    with pytest.raises(WebhookInvalid) as refused:
        subscribe(admin_agent, "http://127.0.0.1/", events=["customer-deleted"])
    assert refused.value.problems == {"events": "Unknown event: customer-deleted."}


@pytest.mark.django_db
def test_a_new_webhook_has_a_standard_webhooks_secret_shown_masked_after(settings, admin_agent):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    subscription = subscribe(
        admin_agent, "http://127.0.0.1/hook", [WebhookEventName.ADMIN_APPROVED]
    )
    assert subscription.secret.startswith("whsec_")
    assert len(b64decode(subscription.secret.removeprefix("whsec_"))) == 32
    assert subscription.secret not in subscription.masked_secret
    assert subscription.masked_secret.endswith(subscription.secret[-4:])
    other = subscribe(admin_agent, "http://127.0.0.1/other", [WebhookEventName.ADMIN_APPROVED])
    assert other.secret != subscription.secret


@pytest.mark.django_db
def test_changes_are_audited_and_a_webhook_is_deactivated_never_deleted(settings, admin_agent):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    membership = membership_of(admin_agent)
    subscription = subscribe(
        admin_agent, "http://127.0.0.1/hook", [WebhookEventName.ADMIN_APPROVED]
    )
    services.webhook_subscription_update(
        membership=membership,
        subscription=subscription,
        url="http://127.0.0.1/v2",
        events=[WebhookEventName.ADMIN_EXPIRED, WebhookEventName.ADMIN_APPROVED],
    )
    services.webhook_subscription_deactivate(membership=membership, subscription=subscription)

    subscription.refresh_from_db()
    assert subscription.url == "http://127.0.0.1/v2"
    assert subscription.events == [WebhookEventName.ADMIN_APPROVED, WebhookEventName.ADMIN_EXPIRED]
    assert not subscription.is_active
    assert subscription.deactivated_by == admin_agent
    actions = AuditEvent.objects.filter(partner=subscription.partner).order_by("at", "id")
    assert [event.action for event in actions] == [
        AuditAction.WEBHOOK_CREATED,
        AuditAction.WEBHOOK_UPDATED,
        AuditAction.WEBHOOK_DEACTIVATED,
    ]
    assert actions[1].details["before"]["url"] == "http://127.0.0.1/hook"
    with pytest.raises(services.ServiceError, match="already deactivated"):
        services.webhook_subscription_deactivate(membership=membership, subscription=subscription)
    with pytest.raises(services.ServiceError, match="deactivated"):
        services.webhook_send_test(membership=membership, subscription=subscription)


@pytest.mark.django_db
def test_only_global_admins_and_admin_agents_manage_their_own_webhooks(
    settings, sales_agent, admin_agent, agent_b
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    with pytest.raises(PermissionDenied) as refused:
        subscribe(sales_agent, "http://127.0.0.1/hook")
    assert "Only Global admins and Admin agents can manage webhooks." in str(refused.value)
    theirs = subscribe(agent_b, "http://127.0.0.1/hook")
    with pytest.raises(WebhookSubscription.DoesNotExist):
        services.webhook_subscription_deactivate(
            membership=membership_of(admin_agent), subscription=theirs
        )


# --- What the services raise --------------------------------------------------------------------


@pytest.fixture
def subscribed(settings, partner_a, admin_agent):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    return subscribe(admin_agent, "http://127.0.0.1:9/hook")


def raised() -> list[tuple[str, str, str]]:
    return [
        (event.name, event.payload["ResourceName"], event.payload["ResourceUri"])
        for event in WebhookEvent.objects.order_by("created_at")
    ]


@pytest.mark.django_db
def test_a_customers_answers_to_a_reseller_request_are_raised(
    subscribed, partner_a, sales_agent, customer_admin
):
    def request(include_admin):
        return services.invitation_create(
            partner=partner_a, created_by=sales_agent, include_admin=include_admin
        )

    declined = request(include_admin=False)
    services.invitation_decline(
        invitation_id=declined.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
    )
    accepted = services.invitation_accept(
        invitation_id=request(include_admin=True).pk,
        user=customer_admin,
        signer=services.Signer(first_name="Nancy", last_name="Davolio", email="n@example.com"),
        client_ip="203.0.113.9",
        portal_cloud=Cloud.PUBLIC,
    )

    customer = accepted.reseller_relationship.customer
    assert raised() == [
        (
            WebhookEventName.RESELLER_DECLINED,
            "relationshipRequest",
            f"http://testserver/v1/relationshiprequests/{declined.pk}",
        ),
        (
            WebhookEventName.RESELLER_ACCEPTED,
            "customer",
            f"http://testserver/v1/customers/{customer.pk}",
        ),
        (
            WebhookEventName.ADMIN_APPROVED,
            "delegatedAdminRelationship",
            f"http://testserver/v1/tenantRelationships/delegatedAdminRelationships/{accepted.admin_relationship.pk}",
        ),
    ]
    assert WebhookDelivery.objects.filter(subscription=subscribed).count() == 3


@pytest.mark.django_db
def test_admin_relationship_events_are_raised(subscribed, partner_a, admin_agent, customer_admin):
    pending = AdminRelationshipFactory(partner=partner_a, pending=True, customer=None)
    services.admin_relationship_approve(
        relationship_id=pending.pk, user=customer_admin, portal_cloud=Cloud.PUBLIC
    )
    group = SecurityGroupFactory(partner=partner_a)
    assignment = services.access_assignment_create(
        relationship=pending, group=group, roles=pending.roles[:1], created_by=admin_agent
    )
    services.access_assignment_remove(assignment=assignment, removed_by=admin_agent)
    services.admin_relationship_terminate(
        relationship=pending, terminated_by=admin_agent, by=partner_a
    )
    now = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    ended = AdminRelationshipFactory(
        partner=partner_a,
        approved_at=now - timedelta(days=90),
        ends_at=now - timedelta(hours=1),
    )
    services.admin_relationship_time(now=now)

    base = "http://testserver/v1/tenantRelationships/delegatedAdminRelationships"
    assert raised() == [
        (WebhookEventName.ADMIN_APPROVED, "delegatedAdminRelationship", f"{base}/{pending.pk}"),
        (
            WebhookEventName.ASSIGNMENT_CREATED,
            "delegatedAdminAccessAssignment",
            f"{base}/{pending.pk}/accessAssignments/{assignment.pk}",
        ),
        (
            WebhookEventName.ASSIGNMENT_DELETED,
            "delegatedAdminAccessAssignment",
            f"{base}/{pending.pk}/accessAssignments/{assignment.pk}",
        ),
        (WebhookEventName.ADMIN_TERMINATED, "delegatedAdminRelationship", f"{base}/{pending.pk}"),
        (WebhookEventName.ADMIN_EXPIRED, "delegatedAdminRelationship", f"{base}/{ended.pk}"),
    ]


@pytest.mark.django_db
def test_a_webhook_gets_only_the_events_it_asked_for(settings, partner_a, admin_agent, agent_b):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    approvals = subscribe(
        admin_agent, "http://127.0.0.1/approvals", [WebhookEventName.ADMIN_APPROVED]
    )
    subscribe(agent_b, "http://127.0.0.1/litware", ALL_EVENTS)

    assert emit(partner_a, WebhookEventName.ADMIN_EXPIRED) is None
    event = emit(partner_a, WebhookEventName.ADMIN_APPROVED)

    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.event, delivery.subscription) == (event, approvals)
    assert WebhookEvent.objects.count() == 1
    with pytest.raises(ValueError):
        emit(partner_a, "customer-deleted")


@pytest.mark.usefixtures("reference_data", "database_backend")
@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_is_down_gets_the_acceptance_once_it_is_back(
    settings, partner_a, admin_agent, sales_agent, customer_admin
):
    """Issue 12, point 2: the receiver is stopped, the customer accepts, the receiver restarts:
    the event arrives then, once."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_TIMEOUT = 0.5
    first = Receiver()
    port = first.server.server_port
    subscription = subscribe(admin_agent, first.url, [WebhookEventName.RESELLER_ACCEPTED])
    first.server.server_close()  # down: nothing listens on the port
    invitation = InvitationFactory(partner=partner_a, created_by=sales_agent)
    services.invitation_accept(
        invitation_id=invitation.pk,
        user=customer_admin,
        signer=services.Signer(first_name="Nancy", last_name="Davolio", email="n@example.com"),
        client_ip=None,
        portal_cloud=Cloud.PUBLIC,
    )
    run_worker()
    delivery = the_delivery()
    assert delivery.status == DeliveryStatus.PENDING
    assert attempts(delivery)[0][1] != AttemptOutcome.DELIVERED

    back = Receiver(port=port)
    back.start()
    try:
        time_passes()
        run_worker()
        assert len(back.received) == 1
        payload = back.received[0].verify(subscription.secret)
        assert payload["EventName"] == WebhookEventName.RESELLER_ACCEPTED
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DELIVERED
        time_passes()
        run_worker()
        assert len(back.received) == 1
    finally:
        back.stop()
