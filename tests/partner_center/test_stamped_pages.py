"""Relationship requests, Admin relationships and a bulk job's results, kept under the stamp of
the rows they show (tenancy.web.fragments.stamp): asked again, nothing is rendered and no query
is added; a change made by any writer, even one no service makes, shows on the next request;
what changes by itself (an expiry, an end, the days left) shows when it does; and a kept part
is never shown to another partner, another set of roles or in another language."""

import functools
import importlib
import re
import uuid
from dataclasses import replace
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse as url_of
from django.utils import timezone

from partner_center.access import PAGE_SIZE
from tenancy import services
from tenancy.entra_roles import HELPDESK_ADMINISTRATOR
from tenancy.models import AdminRelationship, BulkJob, BulkJobItem, Invitation, Role, Tenant
from tenancy.paging import keyset_page
from tenancy.web import fragments
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    InvitationFactory,
    make_customers,
    member,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

REQUESTS = url("request-list")
ADMIN = url("admin-relationship-list")
READER = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def rendered(response) -> set[str]:
    return {template.name for template in response.templates}


@pytest.fixture
def job(partner_a, admin_agent, django_capture_on_commit_callbacks):
    template = services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(
            name="Helpdesk tier", roles=[READER, HELPDESK_ADMINISTRATOR], duration_days=365
        ),
    )
    customers = make_customers(partner_a, 2)
    with django_capture_on_commit_callbacks(execute=True):
        return services.bulk_request_start(
            membership=admin_agent.membership,
            selection=services.Selection(
                pasted="\n".join(["nobody.example.com", *(c.domain for c in customers)])
            ),
            version=template.latest,
        )


@pytest.fixture
def pages(partner_a, sales_agent, job):
    answered = CustomerFactory(name="Fabrikam")
    InvitationFactory(partner=partner_a, created_by=sales_agent, label="Pending one")
    InvitationFactory(
        partner=partner_a,
        created_by=sales_agent,
        label="Accepted one",
        status="accepted",
        answered_at=timezone.now(),
        answered_tenant=answered,
        answered_by=member(answered, Role.CUSTOMER_GLOBAL_ADMIN),
    )
    AdminRelationshipFactory(partner=partner_a, customer=answered, name="Fabrikam helpdesk")
    # The part each page keeps, by its template.
    return {
        REQUESTS: "partner_center/request_list_content.html",
        ADMIN: "partner_center/admin_relationships/list_content.html",
        url("admin-relationship-bulk-job", job.pk): "partner_center/bulk/job_content.html",
    }


def test_asked_again_a_page_renders_nothing_kept_and_reads_only_its_rows(
    client_for, admin_agent, pages
):
    client = client_for(admin_agent)
    for path, part in pages.items():
        with CaptureQueriesContext(connection) as first_queries:
            first = client.get(path)
        assert part in rendered(first)
        with CaptureQueriesContext(connection) as again_queries:
            again = client.get(path)
        assert part not in rendered(again), path
        assert len(again_queries) == len(first_queries), path
        # The same part, but for the CSRF token each response masks anew.
        assert first.content.split(b"</nav>")[-1].count(b"<tr") == again.content.split(b"</nav>")[
            -1
        ].count(b"<tr")


def test_the_first_view_costs_no_query_more_than_before(
    client_for, sales_agent, pages, django_assert_num_queries
):
    # One query of the rows (read as values), the part rendered from them: no other.
    client = client_for(sales_agent)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        client.get(REQUESTS)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 1):
        client.get(ADMIN)


def test_a_change_no_service_makes_shows_on_the_next_request(
    client_for, admin_agent, partner_a, pages, job
):
    client = client_for(admin_agent)
    results = url("admin-relationship-bulk-job", job.pk)
    for path in pages:
        client.get(path)
    # Written straight to the tables: no version, no audit line, no service knows of it.
    Invitation.objects.filter(label="Pending one").update(label="Renamed request")
    Tenant.objects.filter(name="Fabrikam").update(name="Fabrikam Renamed")
    AdminRelationship.objects.filter(name="Fabrikam helpdesk").update(name="Tier two")
    BulkJobItem.objects.filter(job=job, state="skipped").update(state="failed")
    requests = client.get(REQUESTS).content.decode()
    assert "Renamed request" in requests and "Fabrikam Renamed" in requests
    admin = client.get(ADMIN).content.decode()
    assert "Tier two" in admin and "Fabrikam Renamed" in admin
    assert "result-skipped" not in client.get(results).content.decode()


def test_a_pending_request_shows_expired_once_it_expires(client_for, sales_agent, partner_a):
    InvitationFactory(
        partner=partner_a,
        created_by=sales_agent,
        label="Soon gone",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    client = client_for(sales_agent)
    assert "badge pending" in client.get(REQUESTS).content.decode()
    later = timezone.now() + timedelta(hours=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        page = client.get(REQUESTS).content.decode()
    assert "badge expired" in page and "badge pending" not in page


def test_the_days_left_drop_when_a_day_passes(client_for, sales_agent, partner_a):
    now = timezone.now()
    AdminRelationshipFactory(
        partner=partner_a, ends_at=now + timedelta(days=60, hours=1), duration_days=90
    )
    client = client_for(sales_agent)
    assert "60 days left" in client.get(ADMIN).content.decode()
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=2)):
        assert "59 days left" in client.get(ADMIN).content.decode()


@pytest.mark.parametrize(
    ("ends_in", "auto_extend", "until_in"),
    [
        # The days left drop first (in an hour), then the expiring days, then the end.
        (timedelta(days=60, hours=1), False, timedelta(hours=1)),
        (timedelta(days=30, minutes=5), False, timedelta(minutes=5)),
        (timedelta(hours=3), False, timedelta(hours=3)),
        # Exactly on a whole day: the days left drop at once.
        (timedelta(days=12), True, timedelta(0)),
    ],
)
def test_a_relationship_says_until_when_what_it_shows_holds(
    partner_a, ends_in, auto_extend, until_in
):
    now = timezone.now()
    relationship = AdminRelationshipFactory(
        partner=partner_a, ends_at=now + ends_in, auto_extend=auto_extend
    )
    until = relationship.status_until(now)
    assert until == now + until_in
    # Just before it, what it shows is what it showed; just after, something else.
    shown = (relationship.display_status(now), relationship.days_left(now))
    if until_in:
        before = until - timedelta(microseconds=1)
        assert (relationship.display_status(before), relationship.days_left(before)) == shown
    after = until + timedelta(microseconds=1)
    assert (relationship.display_status(after), relationship.days_left(after)) != shown


def test_a_pending_request_holds_until_it_lapses_and_an_ended_one_for_good(partner_a):
    now = timezone.now()
    pending = AdminRelationshipFactory(partner=partner_a, pending=True)
    assert pending.status_until(now) == pending.request_expires_at()
    ended = AdminRelationshipFactory(partner=partner_a, ends_at=now - timedelta(days=1))
    assert ended.status_until(now) is None


def test_each_set_of_roles_and_each_language_has_its_own_part(
    client_for, sales_agent, admin_agent, pages
):
    button = "Request admin relationship"
    assert button not in client_for(sales_agent).get(ADMIN).content.decode()
    assert button in client_for(admin_agent).get(ADMIN).content.decode()
    assert button not in client_for(sales_agent).get(ADMIN).content.decode()
    client = client_for(sales_agent)
    assert "Created by" in client.get(REQUESTS).content.decode()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    french = client.get(REQUESTS).content.decode()
    assert "Created by" not in french and 'lang="fr"' in french


def test_another_partner_with_the_same_empty_page_gets_its_own(client_for, admin_agent, agent_b):
    # Two empty lists have the same stamp; the key says whose they are.
    key = fragments.fragment_key
    seen = {admin_agent: set(), agent_b: set()}
    for user in (admin_agent, agent_b):
        with mock.patch.object(
            fragments,
            "fragment_key",
            lambda *args, user=user: seen[user].add(key(*args)) or key(*args),
        ):
            client_for(user).get(REQUESTS)
    assert seen[admin_agent] and seen[agent_b]
    assert not seen[admin_agent] & seen[agent_b]


def test_names_like_markup_stay_escaped_when_kept(client_for, sales_agent, partner_a):
    InvitationFactory(partner=partner_a, created_by=sales_agent, label="<script>alert(1)</script>")
    AdminRelationshipFactory(partner=partner_a, customer=CustomerFactory(name="<script>x</script>"))
    client = client_for(sales_agent)
    for _ in range(2):
        for path in (REQUESTS, ADMIN):
            page = client.get(path).content.decode()
            assert "<script>alert(1)</script>" not in page and "<script>x</script>" not in page
            assert "&lt;script&gt;" in page


def test_a_field_the_rows_did_not_read_is_asked_of_the_database(
    partner_a, sales_agent, django_assert_num_queries
):
    InvitationFactory(partner=partner_a, created_by=sales_agent, label="One")
    rows = Invitation.objects.values_list(
        "id", "label", "created_by", "created_by__username", named=True
    )
    with django_assert_num_queries(1):
        (invitation,) = fragments.from_values(Invitation, list(rows))
    with django_assert_num_queries(0):
        assert invitation.label == "One"
        assert invitation.created_by.username == sales_agent.username
    recipient = Invitation.objects.get().recipient_email
    with django_assert_num_queries(1):
        assert invitation.recipient_email == recipient


# --- The whole page kept for its member (fragments.kept_page) ------------------------------------


def test_asked_again_the_whole_page_is_kept_and_its_csrf_token_still_works(admin_agent, pages):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_agent)
    for path in [url("customer-list"), *pages]:
        first = client.get(path)
        again = client.get(path)
        # Neither the layout nor the part rendered again.
        assert first.templates and not again.templates, path
        html = again.content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        assert fragments._csrf_hole() not in html
        # Each response masks the token anew; the kept page's still signs a form.
        assert token not in first.content.decode()
        changed = client.post(
            url_of("set-language"), {"language": "de", "csrfmiddlewaretoken": token}
        )
        assert changed.status_code == 302
        assert 'lang="de"' in client.get(path).content.decode()
        client.post(url_of("set-language"), {"language": "en", "csrfmiddlewaretoken": token})


def test_a_page_with_a_message_shows_it_once_and_is_not_kept(
    client_for, sales_agent, partner_a, pages
):
    client = client_for(sales_agent)
    client.get(REQUESTS)
    invitation = Invitation.objects.get(label="Pending one")
    done = client.post(url("request-revoke", invitation.pk), follow=True)
    said = "The request was revoked."
    assert said in done.content.decode()
    assert said not in client.get(REQUESTS).content.decode()


def test_each_member_sees_their_own_name_on_a_page_kept_for_the_same_roles(
    client_for, partner_a, sales_agent, pages
):
    other = member(partner_a, Role.SALES_AGENT, username="second@contosopartners.onmicrosoft.com")

    def who(user) -> str:  # the header's "who is signed in"
        page = client_for(user).get(REQUESTS).content.decode()
        return re.search(r'<span class="who">(.*?)</span>\s*<a', page, re.S)[1]

    for _ in range(2):
        assert sales_agent.username in who(sales_agent) and other.username not in who(sales_agent)
        assert other.username in who(other) and sales_agent.username not in who(other)


def test_a_renamed_organization_shows_its_new_name_at_once(client_for, sales_agent, partner_a):
    client = client_for(sales_agent)
    assert partner_a.name in client.get(REQUESTS).content.decode()
    Tenant.objects.filter(pk=partner_a.pk).update(name="Contoso Renamed")
    assert "Contoso Renamed" in client.get(REQUESTS).content.decode()


@pytest.mark.parametrize(
    ("module", "prepared", "model", "row", "order"),
    [
        (
            "partner_center.views.relationship_requests",
            "_FIRST_REQUESTS",
            Invitation,
            "REQUEST_ROW",
            "REQUEST_ORDER",
        ),
        (
            "partner_center.views.admin_relationships",
            "_FIRST_RELATIONSHIPS",
            AdminRelationship,
            "ADMIN_RELATIONSHIP_ROW",
            "ADMIN_RELATIONSHIP_ORDER",
        ),
    ],
)
def test_the_first_page_compiled_once_is_the_querysets_first_page(
    partner_a, partner_b, sales_agent, module, prepared, model, row, order
):
    # More than a page, some made at the same moment (the id breaks the tie), and another
    # partner's rows, which neither shows.
    same = timezone.now()
    for n in range(30):
        at = {"created_at": same} if n % 3 == 0 else {}
        if model is Invitation:
            InvitationFactory(partner=partner_a, created_by=sales_agent, label=f"r{n}", **at)
            InvitationFactory(partner=partner_b, label=f"b{n}")
        else:
            AdminRelationshipFactory(partner=partner_a, **at)
            AdminRelationshipFactory(partner=partner_b)
    views = importlib.import_module(module)
    rows = model.objects.filter(partner=partner_a).values_list(*getattr(views, row), named=True)
    compiled = getattr(views, prepared)
    for cursor in (None, "not a cursor"):
        made = keyset_page(rows, order=getattr(views, order), cursor=cursor, size=PAGE_SIZE)
        read = keyset_page(
            rows,
            order=getattr(views, order),
            cursor=cursor,
            size=PAGE_SIZE,
            first=functools.partial(compiled.all, partner=partner_a.pk),
        )
        assert read == made and len(read.object_list) == PAGE_SIZE and read.beyond


def test_a_running_jobs_page_is_rendered_each_time_and_kept_once_it_is_over(
    client_for, admin_agent, job
):
    client = client_for(admin_agent)
    page = url("admin-relationship-bulk-job", job.pk)
    BulkJob.objects.filter(pk=job.pk).update(status="running", finished_at=None, succeeded=1)
    assert client.get(page).templates
    BulkJob.objects.filter(pk=job.pk).update(succeeded=2)
    running = client.get(page)
    assert running.templates and 'data-field="succeeded">2<' in running.content.decode()
    # The worker finishes it: the next view shows so, and the one after is the kept page.
    BulkJob.objects.filter(pk=job.pk).update(status="done", finished_at=timezone.now())
    done = client.get(page)
    assert done.templates and "Finished" in done.content.decode()
    assert not client.get(page).templates


def test_a_jobs_first_page_of_results_compiled_once_is_the_querysets(job):
    from partner_center.views import bulk_jobs

    items = BulkJobItem.objects.filter(job=job)
    made = keyset_page(
        items,
        named=bulk_jobs.RESULT_ROW,
        order=["id"],
        cursor=None,
        size=bulk_jobs.RESULTS_PAGE_SIZE,
    )
    read = keyset_page(
        items,
        named=bulk_jobs.RESULT_ROW,
        order=["id"],
        cursor=None,
        size=bulk_jobs.RESULTS_PAGE_SIZE,
        first=functools.partial(bulk_jobs._FIRST_RESULTS.all, job=job.pk),
    )
    assert read == made and len(read.object_list) == job.total


def test_a_stamp_tells_apart_rows_that_differ_in_any_value(partner_a, sales_agent):
    InvitationFactory(partner=partner_a, created_by=sales_agent, label="One")
    rows = Invitation.objects.values_list("id", "label", "created_at", "created_by", named=True)
    page = keyset_page(rows, order=["-created_at", "-id"], cursor=None, size=25)
    again = keyset_page(rows, order=["-created_at", "-id"], cursor=None, size=25)
    assert fragments.stamp(page) == fragments.stamp(again)
    (row,) = page.object_list
    for changed in (
        row._replace(label="One "),
        row._replace(created_at=row.created_at + timedelta(microseconds=1)),
        row._replace(created_by=row.created_by + 1),
        row._replace(id=uuid.uuid4()),
    ):
        assert fragments.stamp(replace(page, object_list=[changed])) != fragments.stamp(page)
    assert fragments.stamp(page, 90) != fragments.stamp(page, 91)
    # A row read past the page's end (its Next) is part of it too.
    assert fragments.stamp(replace(page, beyond=row)) != fragments.stamp(page)
