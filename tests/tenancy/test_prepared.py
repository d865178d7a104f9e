"""tenancy.prepared: a query compiled once gives, run after run, what its queryset gives."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from tenancy.models import Membership, Role, Tenant
from tenancy.prepared import Prepared
from tenancy.web.sessions import SessionStore
from tests.factories import PartnerFactory, member

pytestmark = pytest.mark.django_db

User = get_user_model()

MEMBERSHIPS = Prepared(
    lambda tenant, name: (
        Membership.objects.select_related("user", "tenant__country")
        .filter(tenant=tenant, user__username__gte=name)
        .order_by("user__username")
    ),
    tenant=Membership._meta.get_field("tenant"),
    name=User._meta.get_field("username"),
)


def _as_rows(memberships):
    return [(m.pk, m.user.username, m.tenant.name, m.tenant.country.name) for m in memberships]


def test_each_run_gives_its_own_values_rows_as_the_queryset_does(django_assert_num_queries):
    first, second = PartnerFactory(name="First"), PartnerFactory(name="Second")
    for name in ["ann", "bob", "cid"]:
        member(first, Role.SALES_AGENT, username=f"{name}@first.example")
    member(second, Role.ADMIN_AGENT, username="dan@second.example")
    for tenant, name in [(first, ""), (first, "b"), (second, ""), (first, "zzz")]:
        queryset = MEMBERSHIPS.queryset_for(tenant=tenant, name=name)
        expected = _as_rows(queryset)
        with django_assert_num_queries(1):  # the related rows come with them
            rows = _as_rows(MEMBERSHIPS.all(tenant=tenant.pk, name=name))
        assert rows == expected
    assert [row[1] for row in _as_rows(MEMBERSHIPS.all(tenant=first.pk, name="b"))] == [
        "bob@first.example",
        "cid@first.example",
    ]
    assert MEMBERSHIPS.first(tenant=second.pk, name="").user.username == "dan@second.example"
    assert MEMBERSHIPS.first(tenant=first.pk, name="zzz") is None


def test_it_is_compiled_once():
    tenant = PartnerFactory()
    MEMBERSHIPS.all(tenant=tenant.pk, name="")
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True) as as_sql:
        MEMBERSHIPS.all(tenant=tenant.pk, name="a")
    assert as_sql.call_count == 0


def test_a_parameter_the_query_does_not_hold_is_refused():
    prepared = Prepared(
        lambda name: Tenant.objects.filter(name="x"), name=Tenant._meta.get_field("name")
    )
    with pytest.raises(ImproperlyConfigured, match="none of the query's parameters"):
        prepared.all(name="y")


def test_a_parameter_compared_twice_is_put_in_both_places():
    both = Prepared(
        lambda name: Tenant.objects.filter(name=name, city=name),
        name=Tenant._meta.get_field("name"),
    )
    same = PartnerFactory(name="Springfield", city="Springfield")
    PartnerFactory(name="Shelbyville", city="Ogdenville")
    assert [tenant.pk for tenant in both.all(name="Springfield")] == [same.pk]
    assert both.all(name="Shelbyville") == []


def test_only_model_instances():
    prepared = Prepared(
        lambda name: Tenant.objects.filter(name=name).values("pk"),
        name=Tenant._meta.get_field("name"),
    )
    with pytest.raises(ImproperlyConfigured, match="model instances"):
        prepared.all(name="y")


def test_an_expired_session_is_not_read():
    user = member(PartnerFactory(), Role.SALES_AGENT)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store.create()
    assert SessionStore(store.session_key).load()[SESSION_KEY] == str(user.pk)
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    reread = SessionStore(store.session_key)
    assert reread.load() == {}
    assert reread.session_key is None  # as Django's: a new session, not the expired one


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_on_postgresql_the_server_plans_it_once_and_nothing_else():
    """Each run after the first uses the statement PostgreSQL prepared (and, after a few runs,
    its generic plan): nothing is planned again. Django's own queries are not prepared."""
    partner = PartnerFactory(name="First")
    member(partner, Role.SALES_AGENT, username="ann@first.example")

    def statements() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            )
            return dict(cursor.fetchall())

    before = statements()
    for _ in range(8):
        rows = MEMBERSHIPS.all(tenant=partner.pk, name="a")
        list(Membership.objects.filter(tenant=partner))
    assert [m.user.username for m in rows] == ["ann@first.example"]
    added = {sql: runs for sql, runs in statements().items() if sql not in before}
    assert len(added) == 1
    ((sql, runs),) = added.items()
    assert '"tenancy_membership"' in sql and "$1" in sql and runs == 8
