"""A customer's page, kept whole for its agent under the stamp of every row it can show
(tenancy.selectors.customer_page, tenancy.web.fragments.kept_snapshot_page): asked again, it is
one query and no template; a change by any writer, to any of the tables it shows, shows on the
next request; what changes by itself (an admin relationship's end) shows when it does; it is
never another agent's, another set of roles' or another language's; and what it makes from its
lines is what the ORM reads."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse as url_of
from django.utils import timezone
from psycopg import _queries as psycopg_queries

from partner_center.views import customer_page as view
from tenancy import selectors
from tenancy.entra_roles import LICENSE_ADMINISTRATOR
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AgreementAcceptance,
    Country,
    Offer,
    ResellerRelationship,
    Role,
    SecurityGroup,
    SecurityGroupMember,
    Subscription,
    Tenant,
)
from tenancy.selectors import customer_page
from tenancy.web import fragments
from tests.factories import (
    AdminRelationshipFactory,
    AgreementAcceptanceFactory,
    SubscriptionFactory,
    grant_roles,
    member,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, offer, url

pytestmark = pytest.mark.django_db

PAGE = "partner_center/customer_detail.html"


def rendered(response) -> set[str]:
    return {template.name for template in response.templates}


@pytest.fixture
def shown(partner_a, customer, reseller, sales_agent, admin_agent):
    """A customer page with something in every section: an admin relationship in force with
    the agent's group on it, the agreement, a subscription."""
    relationship = AdminRelationshipFactory(
        partner=partner_a, customer=customer, name="Northwind helpdesk"
    )
    assignment = grant_roles(sales_agent.membership, relationship, LICENSE_ADMINISTRATOR)
    SecurityGroup.objects.filter(pk=assignment.group_id).update(name="Tier one")
    grant_roles(admin_agent.membership, relationship, LICENSE_ADMINISTRATOR)
    AgreementAcceptanceFactory(customer=customer)
    SubscriptionFactory(
        partner=partner_a, customer=customer, offer=offer("microsoft-365-e3"), quantity=25
    )
    return url("customer-detail", customer.pk)


def test_asked_again_it_is_one_query_and_no_template(client_for, sales_agent, shown):
    client = client_for(sales_agent)
    first = client.get(shown)
    assert PAGE in rendered(first)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(shown)
    assert again.status_code == 200 and not again.templates
    # The session, the user with their membership, and the page's lines.
    assert len(queries) == SIGNED_IN_QUERIES + 1
    assert fragments._csrf_hole() not in again.content.decode()
    # The same page, but for the CSRF token each response masks anew.
    assert first.content.count(b"<tr") == again.content.count(b"<tr") > 0
    assert b"Northwind helpdesk" in again.content and b"Microsoft 365 E3" in again.content


def test_a_change_no_service_makes_shows_on_the_next_request(
    client_for, sales_agent, admin_agent, partner_a, customer, shown
):
    client = client_for(sales_agent)
    client.get(shown)
    # Each written straight to its table: no version, no audit line, no service knows of it.
    changes = [
        (
            lambda: Tenant.objects.filter(pk=customer.pk).update(domain="new.onmicrosoft.com"),
            "new.onmicrosoft.com",
        ),
        (lambda: Country.objects.filter(code=customer.country_id).update(name="Utopia"), "Utopia"),
        (lambda: AdminRelationship.objects.update(name="Tier two helpdesk"), "Tier two helpdesk"),
        (lambda: ResellerRelationship.objects.update(ended_at=timezone.now()), "badge ended"),
        (lambda: AgreementAcceptance.objects.update(version="MCA 2020-01"), "MCA 2020-01"),
        (lambda: Subscription.objects.update(quantity=77), 'value="77"'),
        (
            lambda: Offer.objects.filter(code="microsoft-365-e3").update(name="E3 renamed"),
            "E3 renamed",
        ),
        (
            lambda: SecurityGroup.objects.filter(name="Tier one").update(name="Renamed group"),
            "Renamed group",
        ),
        (
            lambda: get_user_model().objects.filter(pk=admin_agent.pk).update(is_active=False),
            "Deactivated",
        ),
        (
            lambda: get_user_model().objects.filter(pk=admin_agent.pk).update(username="x@y.z"),
            "x@y.z",
        ),
    ]
    for change, seen in changes:
        assert seen not in client.get(shown).content.decode()
        change()
        assert seen in client.get(shown).content.decode(), seen
    # An assignment taken away, then a member out of the group: each leaves Who has access.
    assert "x@y.z" in client.get(shown).content.decode()
    SecurityGroupMember.objects.filter(membership=admin_agent.membership).delete()
    assert "x@y.z" not in client.get(shown).content.decode()
    AccessAssignment.objects.update(removed_at=timezone.now())
    assert "Renamed group" not in client.get(shown).content.decode()


def test_a_relationship_that_ends_shows_as_ended_once_it_has(
    client_for, sales_agent, partner_a, customer, reseller
):
    now = timezone.now()
    AdminRelationshipFactory(
        partner=partner_a, customer=customer, name="Short one", ends_at=now + timedelta(hours=1)
    )
    client = client_for(sales_agent)
    path = url("customer-detail", customer.pk)
    assert "badge expiring" in client.get(path).content.decode()
    assert not client.get(path).templates  # kept
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=2)):
        page = client.get(path)
    assert PAGE in rendered(page)
    assert "badge expired" in page.content.decode()


def test_each_agent_set_of_roles_and_language_has_its_own_page(
    client_for, sales_agent, helpdesk_agent, partner_a, customer, shown
):
    other_sales = member(partner_a, Role.SALES_AGENT, username="second@contoso.example")
    for _ in range(2):
        sales = client_for(sales_agent).get(shown).content.decode()
        helpdesk = client_for(helpdesk_agent).get(shown).content.decode()
        second = client_for(other_sales).get(shown).content.decode()
        assert "Purchase</button>" in sales and "Purchase</button>" not in helpdesk
        # The agent's own roles here: through its group for one, none for the other.
        assert "<dd>License Administrator</dd>" in sales and "<dd>None</dd>" in second
        assert sales_agent.username in sales.split("<main")[0]
        assert other_sales.username in second.split("<main")[0]
    client = client_for(sales_agent)
    client.post(url_of("set-language"), {"language": "de"})
    assert 'lang="de"' in client.get(shown).content.decode()


def test_a_name_like_markup_stays_escaped_when_kept(client_for, sales_agent, customer, shown):
    Tenant.objects.filter(pk=customer.pk).update(name="<script>alert('x')</script>")
    client = client_for(sales_agent)
    for _ in range(2):
        page = client.get(shown).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_a_page_with_a_message_shows_it_once_and_is_not_kept(
    client_for, sales_agent, customer, shown
):
    client = client_for(sales_agent)
    client.get(shown)
    done = client.post(
        url("purchase", customer.pk), {"offer": "office-365-e1", "quantity": 3}, follow=True
    )
    said = "Purchased Office 365 E1 (3) for Northwind Traders."
    assert said in done.content.decode()
    again = client.get(shown).content.decode()
    assert said not in again and "Office 365 E1</th>" in again


def test_a_change_between_the_stamp_and_the_page_is_shown_and_not_kept(
    client_for, sales_agent, customer, shown
):
    """A writer commits after the stamp was read and before the page is rendered: the page
    shows what it renders, and is not kept under a stamp that does not cover it."""
    read = customer_page.page_lines
    calls = []

    def racing(*args):
        lines = read(*args)
        if not calls:
            Subscription.objects.update(quantity=42)
        calls.append(args)
        return lines

    client = client_for(sales_agent)
    with mock.patch.object(view, "page_lines", racing):
        first = client.get(shown)
    assert 'value="42"' in first.content.decode()
    again = client.get(shown)
    # Rendered again (not the copy), under the stamp that covers it.
    assert PAGE in rendered(again) and 'value="42"' in again.content.decode()
    assert not client.get(shown).templates


# --- What the page makes of its lines is what the ORM reads ---------------------------------


def _values(instance) -> list:
    return [getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields]


def test_the_customer_agreements_and_offers_made_from_the_lines_are_the_orms(
    partner_a, customer, reseller
):
    AgreementAcceptanceFactory(customer=customer, client_ip="203.0.113.9")
    AgreementAcceptanceFactory(customer=customer, version="MCA 2020-01")
    lines = customer_page.page_lines(partner_a.pk, customer.pk)
    made = customer_page.customer_in(lines)
    read = selectors.customer_of(partner_a, customer.pk)
    assert _values(made) == _values(read)
    assert (made.country.code, made.country.name) == (read.country.code, read.country.name)
    by_pk = {each.pk: each for each in AgreementAcceptance.objects.filter(customer=customer)}
    agreements = customer_page.agreements_in(lines)
    assert sorted(each.pk for each in agreements) == sorted(by_pk)
    for each in agreements:
        assert _values(each) == _values(by_pk[each.pk])
    offers = customer_page.offers_in(lines)
    assert [_values(each) for each in offers] == [
        _values(each) for each in Offer.objects.order_by("name")
    ]


def test_the_latest_agreement_is_the_same_read_or_made(customer):
    """Two acceptances recorded at the same moment: the page's (made from its lines) and the
    database's latest are one."""
    moment = timezone.now()
    for version in ("MCA 2026-01", "MCA 2026-09", "MCA 2025-05"):
        AgreementAcceptanceFactory(customer=customer, version=version, recorded_at=moment)
    read = AgreementAcceptance.objects.filter(customer=customer)
    assert selectors.latest_agreement(customer, read=list(read)).pk == (
        selectors.latest_agreement(customer).pk
    )


def test_another_partners_customer_is_a_404_before_anything_is_kept(
    client_for, agent_b, customer, shown
):
    response = client_for(agent_b).get(shown)
    assert response.status_code == 404 and b"Northwind" not in response.content


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's statement cache")
def test_the_lines_statement_is_short_enough_for_psycopg_to_keep_its_parsing(partner_a, customer):
    """psycopg parses a statement's placeholders once, for statements of up to 4,096
    characters and 50 parameters; a longer one is parsed on every request."""
    sql, params = customer_page._page_lines(partner_a.pk, customer.pk).query.sql_with_params()
    assert len(sql) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(params) <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's isolation levels")
@pytest.mark.django_db(transaction=True)
def test_a_snapshot_is_repeatable_read_and_leaves_the_connection_as_it_was():
    def level():
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            return cursor.fetchone()[0]

    before = level()
    with fragments.snapshot():
        assert level() == "repeatable read"
    assert level() == before != "repeatable read"
