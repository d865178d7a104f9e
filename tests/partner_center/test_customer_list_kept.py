"""The Customer list's rows part, kept under the list's version (tenancy.web.fragments): asked
again it costs no query of its own, and it is never shown to another partner, another set of
roles, in another language, after a change to the list, or past the end it shows."""

from datetime import timedelta
from unittest import mock

import pytest
import redis
from django.test import RequestFactory
from django.utils import timezone, translation

from tenancy import services
from tenancy.effects.customer_list import customer_list_rebuild, customer_list_rename
from tenancy.models import CspRole, CustomerListVersion, Membership
from tenancy.web import fragments
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
)
from tests.partner_center.conftest import SIGNED_IN_QUERIES, url

pytestmark = pytest.mark.django_db

LIST = url("customer-list")
# A page whose rows part is rendered: its rows, and the counters for its total.
RENDERED = SIGNED_IN_QUERIES + 2


def version_of(partner) -> int:
    row = CustomerListVersion.objects.filter(partner=partner).first()
    return row.version if row else 0


def test_a_page_asked_again_is_the_one_kept_without_reading_the_rows(
    client_for, sales_agent, book, django_assert_num_queries
):
    client = client_for(sales_agent)
    with django_assert_num_queries(RENDERED):
        first = client.get(LIST).content.decode()
    with django_assert_num_queries(SIGNED_IN_QUERIES):
        again = client.get(LIST).content.decode()
    assert "Fourth Coffee" in again and "Litware" in again
    # The same page, but for the CSRF token each response masks anew.
    assert first.split("<table>")[1] == again.split("<table>")[1]
    # Another query is another page, rendered and kept on its own.
    with django_assert_num_queries(RENDERED):
        searched = client.get(LIST, {"q": "coffee"}).content.decode()
    assert "Fourth Coffee" in searched and "Litware" not in searched


def test_a_relationship_a_service_starts_shows_on_the_next_request(
    client_for, sales_agent, partner_a, book
):
    client = client_for(sales_agent)
    assert "Northwind" not in client.get(LIST).content.decode()
    before = version_of(partner_a)
    ResellerRelationshipFactory(partner=partner_a, customer=CustomerFactory(name="Northwind"))
    assert version_of(partner_a) == before + 1
    assert "Northwind" in client.get(LIST).content.decode()


def test_an_ended_relationship_shows_ended_on_the_next_request(
    client_for, partner_global_admin, partner_a, book
):
    client = client_for(partner_global_admin)
    page = client.get(LIST, {"q": "litware"}).content.decode()
    assert "badge ended" not in page
    services.reseller_relationship_end(
        partner=partner_a, customer=book["litware"], ended_by=partner_global_admin, by=partner_a
    )
    assert "badge ended" in client.get(LIST, {"q": "litware"}).content.decode()


def test_a_renamed_customer_and_a_rebuilt_list_show_at_once(
    client_for, sales_agent, partner_a, partner_b, book
):
    litware = book["litware"]
    ResellerRelationshipFactory(partner=partner_b, customer=litware)
    client = client_for(sales_agent)
    assert "Litware" in client.get(LIST).content.decode()
    versions = version_of(partner_a), version_of(partner_b)
    litware.name = "Litware Renamed"
    litware.save()
    customer_list_rename(litware)
    # Every list that shows the customer counts a change.
    assert (version_of(partner_a), version_of(partner_b)) == (versions[0] + 1, versions[1] + 1)
    assert "Litware Renamed" in client.get(LIST).content.decode()
    customer_list_rebuild(partner=partner_a)
    assert version_of(partner_a) == versions[0] + 2


def test_another_partner_at_the_same_version_never_sees_the_kept_page(
    client_for, sales_agent, agent_b, partner_a, partner_b, book
):
    ResellerRelationshipFactory(partner=partner_b, customer=CustomerFactory(name="Tailspin Toys"))
    same = max(version_of(partner_a), version_of(partner_b))
    CustomerListVersion.objects.filter(partner__in=[partner_a, partner_b]).update(version=same)
    assert "Fourth Coffee" in client_for(sales_agent).get(LIST).content.decode()
    other = client_for(agent_b).get(LIST).content.decode()
    assert "Tailspin Toys" in other
    assert "Fourth Coffee" not in other and "Coho Winery" not in other


def test_each_set_of_roles_has_its_own_page(client_for, sales_agent, admin_agent, book):
    # Only an Admin agent may request admin relationships in bulk: the rows have check boxes.
    picks = 'name="customer"'
    assert picks not in client_for(sales_agent).get(LIST).content.decode()
    assert picks in client_for(admin_agent).get(LIST).content.decode()
    assert picks not in client_for(sales_agent).get(LIST).content.decode()


def test_each_language_has_its_own_page(client_for, sales_agent, book):
    client = client_for(sales_agent)
    assert "Company name" in client.get(LIST).content.decode()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    french = client.get(LIST).content.decode()
    assert "Nom de la société" in french and "Company name" not in french
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Company name" in client.get(LIST).content.decode()


def test_a_kept_page_ends_when_an_admin_relationship_on_it_ends(client_for, sales_agent, partner_a):
    customer = CustomerFactory(name="Adatum")
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    AdminRelationshipFactory(
        partner=partner_a,
        customer=customer,
        approved_at=timezone.now() - timedelta(days=90) + timedelta(hours=1),
        duration_days=90,
    )
    client = client_for(sales_agent)
    assert "Admin roles</span>" in client.get(LIST).content.decode()
    later = timezone.now() + timedelta(hours=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        page = client.get(LIST).content.decode()
    assert "Adatum" in page and "Admin roles</span>" not in page


def test_a_customer_named_like_markup_stays_escaped_when_kept(client_for, sales_agent, partner_a):
    ResellerRelationshipFactory(
        partner=partner_a, customer=CustomerFactory(name="<script>alert(1)</script>")
    )
    client = client_for(sales_agent)
    for _ in range(2):
        page = client.get(LIST).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_admin_filter_is_kept_until_a_row_it_counts_lapses(
    client_for, sales_agent, partner_a, django_assert_num_queries
):
    soon = timezone.now() - timedelta(days=90) + timedelta(hours=1)
    # The one that lapses first is last by name: on no page the first page reads.
    lasting = [(f"Blue Yonder {n:02d}", timezone.now()) for n in range(26)]
    for name, approved in [*lasting, ("Zava", soon)]:
        customer = CustomerFactory(name=name)
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        AdminRelationshipFactory(
            partner=partner_a, customer=customer, approved_at=approved, duration_days=90
        )
    client = client_for(sales_agent)
    with_admin = {"relationship": "admin"}
    # The rows and, in one query, their count and the first end among them.
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
        assert "27 customers" in client.get(LIST, with_admin).content.decode()
    with django_assert_num_queries(SIGNED_IN_QUERIES):
        assert "27 customers" in client.get(LIST, with_admin).content.decode()
    later = timezone.now() + timedelta(hours=2)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert "26 customers" in client.get(LIST, with_admin).content.decode()


def test_a_two_tier_list_is_rendered_each_time(
    client_for, sales_agent, partner_a, book, django_assert_num_queries
):
    # A provider's list names its indirect resellers, from other partners' rows: never kept.
    partner_a.csp_role = CspRole.INDIRECT_PROVIDER
    partner_a.save()
    client = client_for(sales_agent)
    for _ in range(2):
        # The rows, their indirect resellers, the counters, and the form's list of resellers.
        with django_assert_num_queries(RENDERED + 2):
            client.get(LIST)


def test_the_key_says_each_thing_the_part_was_rendered_from(sales_agent, admin_agent, agent_b):
    def key(user, *, path=LIST, version=1, language="en", zone="UTC"):
        request = RequestFactory().get(path)
        request.membership = Membership.objects.of_user(user)
        with translation.override(language), timezone.override(zone):
            return fragments.fragment_key(request, "customer-list", version)

    first = key(sales_agent)
    assert key(sales_agent) == first
    assert (
        len(
            {
                first,
                key(agent_b),  # another partner
                key(admin_agent),  # other roles
                key(sales_agent, version=2),
                key(sales_agent, language="fr"),
                key(sales_agent, zone="Europe/Paris"),
                key(sales_agent, path=f"{LIST}?q=coffee"),
            }
        )
        == 7
    )


def test_a_new_release_never_shows_an_old_ones_copy(sales_agent, monkeypatch):
    request = RequestFactory().get(LIST)
    request.membership = Membership.objects.of_user(sales_agent)
    before = fragments.fragment_key(request, "customer-list", 1)
    # A file of the project changed (a deploy): the release, and so every key, is another.
    monkeypatch.setattr(fragments, "release", lambda: "another release")
    assert fragments.fragment_key(request, "customer-list", 1) != before


def test_without_a_version_read_first_nothing_is_kept(rf, sales_agent):
    request = rf.get(LIST)
    request.membership = Membership.objects.of_user(sales_agent)
    rendered = []

    def render():
        rendered.append(1)
        return "<p>rows</p>", None

    fragments.kept(request, "customer-list", None, render)
    fragments.kept(request, "customer-list", None, render)
    assert len(rendered) == 2
    fragments.kept(request, "customer-list", 3, render)
    fragments.kept(request, "customer-list", 3, render)
    assert len(rendered) == 3


def test_a_shared_cache_that_is_away_costs_the_copies_not_the_page(
    client_for, sales_agent, book, monkeypatch, caplog
):
    class Away:
        def get(self, *args, **kwargs):
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379")

        set = get

    monkeypatch.setattr(fragments, "caches", {"fragments": Away()})
    for _ in range(2):
        page = client_for(sales_agent).get(LIST)
        assert page.status_code == 200
        assert "Fourth Coffee" in page.content.decode()
    assert "The fragment cache did not answer" in caplog.text
