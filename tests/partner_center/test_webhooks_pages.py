"""Webhooks in Partner Center (Global admin, Admin agent): the list and Add webhook (its secret
shown once), a webhook's page (URL and events, Send test event, Deactivate) and its delivery log
with each attempt and Redeliver."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tenancy import services
from tenancy.models import (
    AttemptOutcome,
    AuditAction,
    AuditEvent,
    DeliveryAttempt,
    DeliveryStatus,
    Membership,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventName,
    WebhookSubscription,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url
from tests.tenancy.test_webhooks import Receiver

pytestmark = pytest.mark.django_db

LIST = url("webhook-list")
VALID = {
    "url": "http://127.0.0.1:9/hooks",
    "events": [WebhookEventName.ADMIN_APPROVED.value, WebhookEventName.ADMIN_TERMINATED.value],
}
ONLY = "Only Global admins and Admin agents can manage webhooks."


@pytest.fixture(autouse=True)
def loopback(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_TIMEOUT = 0.5


def subscribe(user, address="http://127.0.0.1:9/hooks", events=(WebhookEventName.ADMIN_APPROVED,)):
    return services.webhook_subscription_create(
        membership=Membership.objects.of_user(user), url=address, events=list(events)
    )


def delivery_of(subscription, *answers, status=DeliveryStatus.PENDING) -> WebhookDelivery:
    """A delivery of an event to `subscription`, with an attempt per answer (a status code,
    or an error's text)."""
    event = WebhookEvent.objects.create(
        partner=subscription.partner,
        name=WebhookEventName.ADMIN_APPROVED,
        payload={"EventName": "x"},
    )
    delivery = WebhookDelivery.objects.create(
        partner=subscription.partner,
        event=event,
        subscription=subscription,
        status=status,
        attempts=len(answers),
    )
    for answer in answers:
        DeliveryAttempt.objects.create(
            delivery=delivery,
            duration_ms=42,
            response_status=answer if isinstance(answer, int) else None,
            error="" if isinstance(answer, int) else answer,
            outcome=AttemptOutcome.REJECTED if isinstance(answer, int) else AttemptOutcome.ERROR,
        )
    return delivery


# --- Who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["sales_agent", "helpdesk_agent"])
def test_it_403s_for_agents_without_the_role(request, client_for, admin_agent, persona):
    client = client_for(request.getfixturevalue(persona))
    subscription = subscribe(admin_agent)
    delivery = delivery_of(subscription, 500)

    for response in (
        client.get(LIST),
        client.post(LIST, VALID),
        client.get(url("webhook-detail", subscription.pk)),
        client.post(url("webhook-test", subscription.pk)),
        client.post(url("webhook-deactivate", subscription.pk)),
        client.post(url("webhook-redeliver", subscription.pk, delivery.pk)),
    ):
        assert response.status_code == 403
        assert ONLY in response.text
    assert WebhookSubscription.objects.count() == 1
    assert "Webhooks</a>" not in client.get(url("customer-list")).text


def test_it_404s_for_another_partners_webhook(client_for, admin_agent, agent_b):
    theirs = subscribe(agent_b, "http://127.0.0.1:9/litware")
    delivery = delivery_of(theirs, 500)
    mine = subscribe(admin_agent)
    client = client_for(admin_agent)

    assert client.get(url("webhook-detail", theirs.pk)).status_code == 404
    assert client.post(url("webhook-detail", theirs.pk), VALID).status_code == 404
    assert client.post(url("webhook-test", theirs.pk)).status_code == 404
    assert client.post(url("webhook-deactivate", theirs.pk)).status_code == 404
    assert client.post(url("webhook-redeliver", theirs.pk, delivery.pk)).status_code == 404
    # Their delivery under my webhook's address is no better.
    assert client.post(url("webhook-redeliver", mine.pk, delivery.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active
    assert theirs.url == "http://127.0.0.1:9/litware"
    assert not WebhookEvent.objects.filter(name=WebhookEventName.TEST).exists()
    assert "litware" not in client.get(LIST).text


@pytest.mark.parametrize("name", ["webhook-test", "webhook-deactivate"])
def test_it_rejects_get(client_for, admin_agent, name):
    subscription = subscribe(admin_agent)
    assert client_for(admin_agent).get(url(name, subscription.pk)).status_code == 405


# --- The list and Add webhook --------------------------------------------------------------------


def test_global_admins_and_admin_agents_see_the_list_in_the_nav(
    client_for, admin_agent, partner_global_admin, agent_b, django_assert_max_num_queries
):
    subscribe(admin_agent, "http://127.0.0.1:9/one")
    subscribe(admin_agent, "http://127.0.0.1:9/two")
    subscribe(agent_b, "http://127.0.0.1:9/litware")

    for user in (admin_agent, partner_global_admin):
        client = client_for(user)
        with django_assert_max_num_queries(SIGNED_IN_QUERIES + 1):
            page = client.get(LIST)
        assert page.status_code == 200
        assert "http://127.0.0.1:9/one" in page.text
        assert "http://127.0.0.1:9/two" in page.text
        assert "litware" not in page.text
        assert f'href="{LIST}" aria-current="page">Webhooks</a>' in page.text


def test_adding_a_webhook_shows_its_secret_once(client_for, admin_agent):
    client = client_for(admin_agent)
    # The new webhook's page is the answer to the post, with the secret (kept in no session).
    first = client.post(LIST, VALID)

    subscription = WebhookSubscription.objects.get()
    detail = url("webhook-detail", subscription.pk)
    assert first.status_code == 200
    assert subscription.events == VALID["events"]
    assert subscription.created_by == admin_agent
    assert subscription.secret in first.text
    assert "Copy this secret now" in first.text
    # Its form saves the webhook, not another new one.
    assert f'<form method="post" action="{detail}"' in first.text
    again = client.get(detail)
    assert subscription.secret not in again.text
    assert subscription.masked_secret in again.text
    assert first["Cache-Control"].startswith("max-age=0")
    assert "no-store" in first["Cache-Control"]
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_CREATED).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({**VALID, "url": "ftp://hooks.example.com/"}, "url", "Use an http:// or https:// URL."),
        ({**VALID, "url": "http://10.0.0.8/hooks"}, "url", "10.0.0.8 is a private network address"),
        (
            {**VALID, "url": "http://169.254.169.254/latest/"},
            "url",
            "169.254.169.254 is a link-local address",
        ),
        ({**VALID, "url": "https://hooks.example.com/\nX: y"}, "url", ""),
        ({**VALID, "url": ""}, "url", "This field is required."),
        ({**VALID, "events": []}, "events", "This field is required."),
        ({**VALID, "events": ["customer-deleted"]}, "events", "Select a valid choice."),
        ({**VALID, "events": ["test-created"]}, "events", "Select a valid choice."),
    ],
)
def test_bad_input_shows_field_errors(client_for, admin_agent, data, field, message):
    response = client_for(admin_agent).post(LIST, data)

    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert f'id="id_{field}_error"' in response.text or field == "events"
    assert not WebhookSubscription.objects.exists()


def test_loopback_is_refused_without_the_setting(settings, client_for, admin_agent):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = client_for(admin_agent).post(LIST, VALID)
    assert response.status_code == 400
    assert "127.0.0.1 is a loopback address" in response.text


# --- A webhook's page ----------------------------------------------------------------------------


def test_changing_the_url_and_events(client_for, admin_agent):
    subscription = subscribe(admin_agent)
    detail = url("webhook-detail", subscription.pk)
    client = client_for(admin_agent)

    response = client.post(
        detail,
        {"url": "http://127.0.0.1:9/v2", "events": [WebhookEventName.ASSIGNMENT_CREATED.value]},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.url == "http://127.0.0.1:9/v2"
    assert subscription.events == [WebhookEventName.ASSIGNMENT_CREATED]
    assert "The webhook was saved." in client.get(detail).text

    bad = client.post(detail, {"url": "http://192.168.1.1/", "events": []})
    assert bad.status_code == 400
    assert "192.168.1.1 is a private network address" in bad.text
    assert "This field is required." in bad.text
    subscription.refresh_from_db()
    assert subscription.url == "http://127.0.0.1:9/v2"


def test_deactivating_keeps_the_webhook_and_its_log(client_for, admin_agent):
    subscription = subscribe(admin_agent)
    delivery_of(subscription, 500, status=DeliveryStatus.FAILED)
    client = client_for(admin_agent)

    response = client.post(url("webhook-deactivate", subscription.pk), follow=True)

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "No more events will be sent to http://127.0.0.1:9/hooks." in response.text
    assert "Deactivated" in response.text
    assert "HTTP 500" in response.text
    assert "Send test event" not in response.text
    assert ">Redeliver<" not in response.text
    again = client.post(url("webhook-deactivate", subscription.pk), follow=True)
    assert "This webhook was already deactivated." in again.text
    assert "Deactivated" in client.get(LIST).text


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_send_test_event_reaches_the_receiver_and_shows_in_the_log(client_for, admin_agent):
    receiver = Receiver()
    receiver.start()
    try:
        subscription = subscribe(admin_agent, receiver.url)
        client = client_for(admin_agent)
        response = client.post(url("webhook-test", subscription.pk), follow=True)
    finally:
        receiver.stop()

    [got] = receiver.received
    payload = got.verify(subscription.secret)
    assert payload["EventName"] == "test-created"
    assert payload["AuditUri"] is None
    assert "A test event is on its way" in response.text
    assert "test-created" in response.text
    assert "HTTP 204" in response.text
    assert "Delivered" in response.text


def test_the_delivery_log_shows_each_attempt_at_a_fixed_cost(
    client_for, admin_agent, django_assert_max_num_queries
):
    subscription = subscribe(admin_agent)
    client = client_for(admin_agent)
    detail = url("webhook-detail", subscription.pk)
    failed = delivery_of(
        subscription, 500, "No answer within 10 seconds.", status=DeliveryStatus.FAILED
    )
    failed.next_attempt_at = timezone.now() + timedelta(minutes=1)
    failed.save()

    with django_assert_max_num_queries(SIGNED_IN_QUERIES + 3) as few:
        page = client.get(detail)
    assert "HTTP 500" in page.text
    assert "No answer within 10 seconds." in page.text
    assert "42 ms" in page.text
    assert "Failed" in page.text

    for _ in range(10):
        delivery_of(subscription, 500, 502, 200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(detail).status_code == 200


def test_redeliver_sends_the_event_again_as_a_new_series(
    client_for, admin_agent, django_capture_on_commit_callbacks
):
    subscription = subscribe(admin_agent)
    delivery = delivery_of(subscription, 500, status=DeliveryStatus.FAILED)

    with django_capture_on_commit_callbacks() as queued:
        response = client_for(admin_agent).post(
            url("webhook-redeliver", subscription.pk, delivery.pk), follow=True
        )

    assert "The event is being sent again." in response.text
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.series == 2
    assert len(queued) == 1
    [line] = AuditEvent.objects.filter(action=AuditAction.WEBHOOK_REDELIVERED)
    assert line.actor == admin_agent
    assert line.details["event_id"] == str(delivery.event_id)
