"""The webhook registration API: register (the signing secret shown in that answer only), read,
change, delete; the event names; validation events and their delivery read back; the audit
records; and every event's ResourceUri and AuditUri answering a GET with the partner's app key."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tenancy import services
from tenancy.effects.record import EFFECTS, record
from tenancy.models import (
    SUBSCRIBABLE_EVENTS,
    AccessAssignment,
    AttemptOutcome,
    AuditAction,
    AuditEvent,
    BulkJob,
    BulkJobKind,
    BulkJobStatus,
    DeliveryAttempt,
    Membership,
    NoticeKind,
    PartnerApp,
    Role,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventName,
    WebhookSubscription,
)
from tests.api.bulk_fixtures import client_holding
from tests.api.schema import assert_matches
from tests.factories import (
    AdminRelationshipFactory,
    AuditEventFactory,
    CustomerFactory,
    InvitationFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
    indirect_link,
)
from tests.tenancy.test_webhooks import Receiver

pytestmark = pytest.mark.django_db

REGISTRATION = "/v1/webhooks/registration"
EVENT_TYPES = "/v1/webhooks/eventTypes"
VALIDATION = "/v1/webhooks/registration/validationEvents"
VALIDATION_ONE = "/v1/webhooks/registration/validationEvents/{correlation_id}"
AUDIT = "/v1/auditrecords"
HOOK = "http://127.0.0.1:9/hooks"
EVENTS = [WebhookEventName.ADMIN_APPROVED.value, WebhookEventName.ADMIN_TERMINATED.value]
ALL_EVENTS = [name.value for name in SUBSCRIBABLE_EVENTS]
ONLY = "Only Global admins and Admin agents can manage webhooks."


@pytest.fixture(autouse=True)
def loopback(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_TIMEOUT = 0.5


def register(client, url=HOOK, events=EVENTS):
    return client.post(REGISTRATION, {"WebhookUrl": url, "WebhookEvents": events}, format="json")


def subscribe(user, url=HOOK, events=EVENTS) -> WebhookSubscription:
    """A webhook added as the Webhooks page adds one."""
    return services.webhook_subscription_create(
        membership=Membership.objects.of_user(user), url=url, events=list(events)
    )


def validation_of(correlation_id) -> str:
    return VALIDATION_ONE.format(correlation_id=correlation_id)


@pytest.fixture
def registered(api) -> dict:
    response = register(api)
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def api_b(app_key_of, agent_b):
    """Partner B's app (an Admin agent's roles)."""
    return client_holding(app_key_of(agent_b, Role.ADMIN_AGENT, name="Litware automation"))


def principal(partner):
    return PartnerApp.objects.get(partner=partner).principal


# --- Registering --------------------------------------------------------------------------------


class TestRegister:
    def test_it_registers_and_shows_the_secret_in_this_answer_only(self, api, partner_a):
        response = register(api)

        assert response.status_code == 201, response.json()
        assert_matches(REGISTRATION, "post", response)
        subscription = WebhookSubscription.objects.get()
        assert response.json() == {
            "SubscriberId": str(partner_a.pk),
            "WebhookUrl": HOOK,
            "WebhookEvents": EVENTS,
            "SigningSecret": subscription.secret,
        }
        assert subscription.secret.startswith("whsec_")
        assert response["Cache-Control"] == "no-store"
        line = AuditEvent.objects.get(action=AuditAction.WEBHOOK_CREATED)
        assert line.actor == principal(partner_a)

        again = api.get(REGISTRATION)
        assert again.status_code == 200
        assert "SigningSecret" not in again.json()
        assert subscription.secret not in again.content.decode()
        # No session anywhere holds it: an API call makes none.
        assert "sessionid" not in response.cookies
        assert not Session.objects.exists()

    def test_a_global_admins_app_may_register(self, app_key):
        client = client_holding(app_key(Role.GLOBAL_ADMIN, name="Admin automation"))
        assert register(client).status_code == 201

    def test_a_second_registration_is_409_and_changes_nothing(self, api, registered):
        response = register(api, url="http://127.0.0.1:9/other")
        assert response.status_code == 409
        assert_matches(REGISTRATION, "post", response)
        assert response.json()["code"] == "registered"
        assert WebhookSubscription.objects.get().url == HOOK
        assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_CREATED).count() == 1

    def test_a_webhook_added_on_the_page_is_the_registration(self, api, admin_agent):
        subscription = subscribe(admin_agent)
        assert register(api, url="http://127.0.0.1:9/other").status_code == 409
        response = api.get(REGISTRATION)
        assert response.json()["WebhookUrl"] == subscription.url

    @pytest.mark.parametrize(
        ("url", "events", "field", "description"),
        [
            ("ftp://hooks.example.com/", EVENTS, "WebhookUrl", "Use an http:// or https:// URL."),
            ("hooks.example.com/hook", EVENTS, "WebhookUrl", "Use an http:// or https:// URL."),
            ("", EVENTS, "WebhookUrl", "Enter the URL to send events to."),
            (HOOK, ["customer-deleted"], "WebhookEvents", "Unknown event: customer-deleted."),
            (HOOK, ["test-created"], "WebhookEvents", "Unknown event: test-created."),
            (HOOK, [], "WebhookEvents", "Select at least one event."),
        ],
    )
    def test_bad_input_is_400_naming_the_field_and_changes_nothing(
        self, api, url, events, field, description
    ):
        response = register(api, url=url, events=events)
        assert response.status_code == 400
        assert_matches(REGISTRATION, "post", response)
        problem = response.json()
        assert (problem["code"], problem["field"]) == ("invalid", field)
        assert description in problem["description"]
        assert not WebhookSubscription.objects.exists()
        assert not AuditEvent.objects.filter(action=AuditAction.WEBHOOK_CREATED).exists()

    @pytest.mark.parametrize(
        ("url", "description"),
        [
            ("https://10.0.0.5/hook", "10.0.0.5 is a private network"),
            ("http://169.254.169.254/latest", "a link-local address"),
        ],
    )
    def test_an_address_the_filter_refuses_is_a_409_and_changes_nothing(
        self, api, url, description
    ):
        response = register(api, url=url)
        assert response.status_code == 409
        assert_matches(REGISTRATION, "post", response)
        assert response.json()["code"] == "address"
        assert description in response.json()["description"]
        assert not WebhookSubscription.objects.exists()

    def test_a_missing_field_is_400_naming_it(self, api):
        response = api.post(REGISTRATION, {"WebhookUrl": HOOK}, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == "WebhookEvents"
        assert not WebhookSubscription.objects.exists()


# --- Reading, changing, deleting ------------------------------------------------------------------


class TestRegistration:
    def test_it_shows_the_registration_without_its_secret(self, api, partner_a, registered):
        response = api.get(REGISTRATION)
        assert response.status_code == 200
        assert_matches(REGISTRATION, "get", response)
        assert response.json() == {
            "SubscriberId": str(partner_a.pk),
            "WebhookUrl": HOOK,
            "WebhookEvents": EVENTS,
        }
        assert registered["SigningSecret"] not in response.content.decode()

    def test_without_one_it_is_a_404(self, api):
        response = api.get(REGISTRATION)
        assert response.status_code == 404
        assert_matches(REGISTRATION, "get", response)
        assert response.json()["code"] == "not_found"

    def test_put_replaces_the_url_and_events_and_keeps_the_secret(self, api, partner_a, registered):
        events = [WebhookEventName.BULK_JOB_FINISHED.value]
        response = api.put(
            REGISTRATION,
            {"WebhookUrl": "http://127.0.0.1:9/new", "WebhookEvents": events},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert_matches(REGISTRATION, "put", response)
        assert response.json()["WebhookUrl"] == "http://127.0.0.1:9/new"
        assert "SigningSecret" not in response.json()
        subscription = WebhookSubscription.objects.get()
        assert (subscription.url, subscription.events) == ("http://127.0.0.1:9/new", events)
        assert subscription.secret == registered["SigningSecret"]
        line = AuditEvent.objects.get(action=AuditAction.WEBHOOK_UPDATED)
        assert line.actor == principal(partner_a)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"WebhookUrl": "hooks.example.com", "WebhookEvents": EVENTS}, "WebhookUrl"),
            ({"WebhookUrl": HOOK, "WebhookEvents": ["nothing-happened"]}, "WebhookEvents"),
            ({"WebhookEvents": EVENTS}, "WebhookUrl"),
        ],
    )
    def test_a_bad_put_is_400_and_changes_nothing(self, api, registered, body, field):
        response = api.put(REGISTRATION, body, format="json")
        assert response.status_code == 400
        assert_matches(REGISTRATION, "put", response)
        assert response.json()["field"] == field
        subscription = WebhookSubscription.objects.get()
        assert (subscription.url, subscription.events) == (HOOK, EVENTS)
        assert not AuditEvent.objects.filter(action=AuditAction.WEBHOOK_UPDATED).exists()

    def test_a_put_to_a_refused_address_is_a_409_and_changes_nothing(self, api, registered):
        body = {"WebhookUrl": "https://192.168.0.10/hook", "WebhookEvents": EVENTS}
        response = api.put(REGISTRATION, body, format="json")
        assert response.status_code == 409
        subscription = WebhookSubscription.objects.get()
        assert (subscription.url, subscription.events) == (HOOK, EVENTS)

    def test_delete_deactivates_it_as_the_page_does(self, api, partner_a, registered):
        response = api.delete(REGISTRATION)
        assert response.status_code == 204
        subscription = WebhookSubscription.objects.get()
        assert not subscription.is_active
        assert subscription.deactivated_by == principal(partner_a)
        assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_DEACTIVATED).count() == 1
        assert api.get(REGISTRATION).status_code == 404
        assert api.delete(REGISTRATION).status_code == 404
        # And a new one can be registered, with a new secret.
        again = register(api)
        assert again.status_code == 201
        assert again.json()["SigningSecret"] != registered["SigningSecret"]

    def test_another_partners_registration_is_a_404(self, api, api_b):
        assert register(api_b).status_code == 201
        assert api.get(REGISTRATION).status_code == 404
        put = api.put(REGISTRATION, {"WebhookUrl": HOOK, "WebhookEvents": EVENTS}, format="json")
        assert put.status_code == 404
        assert api.delete(REGISTRATION).status_code == 404
        assert api.post(VALIDATION).status_code == 404
        theirs = WebhookSubscription.objects.get()
        assert theirs.is_active and theirs.events == EVENTS
        assert not WebhookEvent.objects.exists()


class TestRoles:
    @pytest.mark.parametrize("roles", [(Role.SALES_AGENT,), (Role.HELPDESK_AGENT,)])
    def test_an_app_without_the_role_is_403_and_changes_nothing(self, app_key, admin_agent, roles):
        subscription = subscribe(admin_agent)
        client = client_holding(app_key(*roles, name="Sales automation"))
        body = {"WebhookUrl": "http://127.0.0.1:9/x", "WebhookEvents": EVENTS}
        for response in (
            client.get(REGISTRATION),
            client.post(REGISTRATION, body, format="json"),
            client.put(REGISTRATION, body, format="json"),
            client.delete(REGISTRATION),
            client.get(EVENT_TYPES),
            client.post(VALIDATION),
        ):
            assert response.status_code == 403
            assert response.json() == {"code": "forbidden", "description": ONLY}
        subscription.refresh_from_db()
        assert subscription.is_active and subscription.url == HOOK
        assert WebhookSubscription.objects.count() == 1
        assert not WebhookEvent.objects.exists()

    def test_an_app_that_cannot_see_the_activity_log_cannot_read_audit_records(self, app_key):
        client = client_holding(app_key(Role.SALES_AGENT, name="Sales automation"))
        response = client.get(AUDIT)
        assert response.status_code == 403
        assert_matches(AUDIT, "get", response)


# --- Event names ---------------------------------------------------------------------------------


def test_it_lists_the_events_a_registration_may_ask_for(api):
    response = api.get(EVENT_TYPES)
    assert response.status_code == 200
    assert_matches(EVENT_TYPES, "get", response)
    assert response.json() == ALL_EVENTS
    assert WebhookEventName.TEST.value not in response.json()


# --- Validation events ---------------------------------------------------------------------------


class TestValidationEvents:
    def test_the_test_event_reaches_the_receiver_and_its_result_reads_back(
        self, api, partner_a, django_capture_on_commit_callbacks
    ):
        receiver = Receiver()
        receiver.start()
        try:
            secret = register(api, url=receiver.url).json()["SigningSecret"]
            with django_capture_on_commit_callbacks(execute=True):
                response = api.post(VALIDATION)
        finally:
            receiver.stop()

        assert response.status_code == 200
        assert_matches(VALIDATION, "post", response)
        correlation_id = response.json()["correlationId"]
        [got] = receiver.received
        payload = got.verify(secret)
        assert payload["EventName"] == "test-created"
        assert payload["EventId"] == correlation_id
        assert urlsplit(payload["ResourceUri"]).path == validation_of(correlation_id)
        assert payload["AuditUri"] is None  # as Partner Center's test event

        result = api.get(validation_of(correlation_id))
        assert result.status_code == 200
        assert_matches(VALIDATION_ONE, "get", result)
        attempt = DeliveryAttempt.objects.get()
        assert result.json() == {
            "correlationId": correlation_id,
            "partnerId": str(partner_a.pk),
            "status": "succeeded",
            "callbackUrl": receiver.url,
            "responseCode": 204,
            "responseMessage": "No Content",
            "dateTimeUtc": attempt.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }

    def test_a_receiver_that_is_gone_fails_it(self, api, django_capture_on_commit_callbacks):
        receiver = Receiver()
        receiver.answers = [410]
        receiver.start()
        try:
            register(api, url=receiver.url)
            with django_capture_on_commit_callbacks(execute=True):
                correlation_id = api.post(VALIDATION).json()["correlationId"]
        finally:
            receiver.stop()

        result = api.get(validation_of(correlation_id)).json()
        assert (result["status"], result["responseCode"], result["responseMessage"]) == (
            "failed",
            410,
            "Gone",
        )

    def test_it_is_pending_until_an_attempt_is_made(self, api, registered):
        correlation_id = api.post(VALIDATION).json()["correlationId"]
        result = api.get(validation_of(correlation_id))
        assert result.status_code == 200
        assert_matches(VALIDATION_ONE, "get", result)
        assert result.json()["status"] == "pending"
        assert "responseCode" not in result.json()

        # An attempt that got no answer says why.
        delivery = WebhookDelivery.objects.get()
        DeliveryAttempt.objects.create(
            delivery=delivery, error="Connection refused.", outcome=AttemptOutcome.ERROR
        )
        result = api.get(validation_of(correlation_id)).json()
        assert result["status"] == "pending"
        assert result["responseMessage"] == "Connection refused."
        assert "responseCode" not in result

    def test_another_partners_validation_event_is_a_404(self, api, api_b, partner_a, admin_agent):
        register(api_b)
        theirs = api_b.post(VALIDATION).json()["correlationId"]
        assert api_b.get(validation_of(theirs)).status_code == 200

        response = api.get(validation_of(theirs))
        assert response.status_code == 404
        assert_matches(VALIDATION_ONE, "get", response)
        # Nor is one of partner A's other events a validation event.
        subscribe(admin_agent, events=ALL_EVENTS)
        relationship = AdminRelationshipFactory(partner=partner_a)
        record(
            AuditAction.ADMIN_TERMINATED,
            partner=relationship.partner,
            customer=relationship.customer,
            details={"side": "partner"},
            subject=relationship,
        )
        event = WebhookEvent.objects.get(name=WebhookEventName.ADMIN_TERMINATED)
        assert api.get(validation_of(event.pk)).status_code == 404

    def test_without_a_registration_there_is_nothing_to_send_to(self, api):
        response = api.post(VALIDATION)
        assert response.status_code == 404
        assert_matches(VALIDATION, "post", response)


# --- Audit records -------------------------------------------------------------------------------


class TestAuditRecords:
    DAY = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)

    def lines(self, partner, *ats):
        return [AuditEventFactory(partner=partner, at=at) for at in ats]

    def test_it_pages_a_days_lines_newest_first(self, api, partner_a, partner_b):
        day = self.DAY
        mine = self.lines(partner_a, day, day + timedelta(hours=1), day + timedelta(hours=2))
        self.lines(partner_a, day - timedelta(days=1), day + timedelta(days=1))
        self.lines(partner_b, day)
        query = {"startDate": "2026-06-01", "endDate": "2026-06-01", "size": 2}

        first = api.get(AUDIT, query)
        assert first.status_code == 200
        assert_matches(AUDIT, "get", first)
        page = first.json()
        assert page["totalCount"] == 3
        assert page["attributes"] == {"objectType": "Collection"}
        assert [item["id"] for item in page["items"]] == [str(mine[2].pk), str(mine[1].pk)]
        item = page["items"][0]
        assert item["partnerId"] == str(partner_a.pk)
        assert item["customerName"] == mine[2].customer.name
        assert item["operationType"] == AuditAction.CUSTOMER_ADDED
        assert item["operationDescription"] == AuditAction.CUSTOMER_ADDED.label
        assert item["operationDate"] == "2026-06-01T11:30:00Z"
        token = page["links"]["next"]["headers"][0]["value"]
        second = api.get(AUDIT, query, HTTP_MS_CONTINUATIONTOKEN=token).json()
        assert [item["id"] for item in second["items"]] == [str(mine[0].pk)]
        assert "next" not in second["links"]

    def test_by_default_it_is_the_last_30_days(self, api, partner_a):
        now = timezone.now()
        recent = self.lines(partner_a, now, now - timedelta(days=29))
        self.lines(partner_a, now - timedelta(days=31))
        app_registered = AuditEvent.objects.get(action=AuditAction.APP_REGISTERED)
        response = api.get(AUDIT)
        assert response.status_code == 200
        assert {item["id"] for item in response.json()["items"]} == {
            str(line.pk) for line in [*recent, app_registered]
        }

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"startDate": "2026-13-01"}, "startDate"),
            ({"startDate": "yesterday"}, "startDate"),
            ({"size": "0"}, "size"),
        ],
    )
    def test_bad_dates_are_400_naming_the_field(self, api, query, field):
        response = api.get(AUDIT, query)
        assert response.status_code == 400
        assert_matches(AUDIT, "get", response)
        assert response.json()["field"] == field

    @pytest.mark.parametrize(
        "query",
        [
            {"startDate": "2026-06-02", "endDate": "2026-06-01"},  # a period of no days
            {"startDate": "0183-09-01", "endDate": "1999-12-31"},  # before the portal's time
            {"startDate": "9999-12-30", "endDate": "9999-12-31"},  # at the calendar's end
        ],
    )
    def test_a_period_with_no_lines_is_an_empty_page(self, api, query):
        response = api.get(AUDIT, query)
        assert response.status_code == 200
        assert_matches(AUDIT, "get", response)
        assert response.json()["items"] == []


# --- Where every event points ----------------------------------------------------------------


def test_every_events_resource_and_audit_uris_answer_the_partners_app(
    api,
    partner_a,
    admin_agent,
    customer,
    customer_admin,
    provider,
    provider_admin,
    indirect_reseller,
    partnership,
    app_key_of,
):
    """For every event kind the record table raises (and the test event), the payload's
    ResourceUri and AuditUri are GETs that answer 200 to the partner's app key, and the AuditUri
    lists the change's audit line."""
    subscribe(admin_agent, events=ALL_EVENTS)
    subscribe(provider_admin, events=ALL_EVENTS)
    clients = {
        partner_a: api,
        provider: client_holding(app_key_of(provider_admin, name="Tailspin automation")),
    }
    lines = []

    def recorded(action, **fields):
        lines.append(record(action, actor=customer_admin, **fields))

    # Reseller requests: accepted (and, two tiers, the provider's line), declined.
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    accepted = InvitationFactory(partner=partner_a)
    recorded(
        AuditAction.INVITATION_ACCEPTED, partner=partner_a, customer=customer, invitation=accepted
    )
    theirs = CustomerFactory()
    indirect_link(indirect_reseller, theirs, provider)
    two_tier = InvitationFactory(partner=indirect_reseller, indirect_provider=provider)
    recorded(
        AuditAction.INVITATION_ACCEPTED, partner=provider, customer=theirs, invitation=two_tier
    )
    declined = InvitationFactory(partner=partner_a)
    recorded(
        AuditAction.INVITATION_DECLINED,
        partner=partner_a,
        customer=customer,
        invitation=declined,
        subject=declined,
    )
    # Admin relationships and their access assignments.
    relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
    about = {"partner": partner_a, "customer": customer}
    recorded(AuditAction.ADMIN_APPROVED, subject=relationship, **about)
    assignment = AccessAssignment.objects.create(
        relationship=relationship,
        group=SecurityGroupFactory(partner=partner_a),
        roles=relationship.roles[:1],
    )
    recorded(AuditAction.ASSIGNMENT_CREATED, subject=assignment, **about)
    assignment.removed_at = timezone.now()
    assignment.save(update_fields=["removed_at"])
    recorded(AuditAction.ASSIGNMENT_REMOVED, subject=assignment, **about)
    recorded(
        AuditAction.ADMIN_TERMINATED, subject=relationship, details={"side": "partner"}, **about
    )
    recorded(
        AuditAction.ADMIN_REMINDED,
        subject=relationship,
        details={"notice": NoticeKind.EXPIRED},
        **about,
    )
    # A bulk job.
    job = BulkJob.objects.create(
        partner=partner_a,
        kind=BulkJobKind.AUTO_EXTEND_ON,
        created_by=admin_agent,
        status=BulkJobStatus.DONE,
        finished_at=timezone.now(),
    )
    recorded(AuditAction.BULK_JOB_FINISHED, partner=partner_a, subject=job)
    # And the test event.
    assert api.post(VALIDATION).status_code == 200

    # Every action with a webhook in the record table was recorded here.
    assert {line.action for line in lines} == {
        action for action, effects in EFFECTS.items() if effects.webhook is not None
    }
    events = list(WebhookEvent.objects.select_related("partner"))
    assert {event.name for event in events} == set(WebhookEventName)
    for event in events:
        client = clients[event.partner]
        resource = urlsplit(event.payload["ResourceUri"])
        response = client.get(resource.path)
        assert response.status_code == 200, (event.name, resource.path, response.json())
        if event.name == WebhookEventName.TEST:
            assert event.payload["AuditUri"] is None
            continue
        audit = urlsplit(event.payload["AuditUri"])
        assert audit.path == AUDIT
        response = client.get(f"{audit.path}?{audit.query}")
        assert response.status_code == 200, (event.name, response.json())
        listed = {item["id"] for item in response.json()["items"]}
        assert {str(line.pk) for line in lines if line.partner == event.partner} <= listed
