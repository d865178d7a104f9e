"""Admin relationship races with real threads and row locks (PostgreSQL only).

The check the answering services run under their locks is slowed down, so without the locks
both sides of each race would pass it.
"""

import time

import pytest

from tenancy import services
from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.models import (
    AdminRelationship,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    Cloud,
    CustomerListRow,
    Role,
)
from tests.factories import AdminRelationshipFactory, member
from tests.threads import at_once

# Transactional tests run last (pytest-django orders them after the others), after the browser
# tests have emptied the database: the reference data is loaded again rather than restored.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def slow_checks(monkeypatch):
    real = services.ADMIN_REQUESTS.refusal
    calls = []

    def slow(**kwargs):
        calls.append(kwargs["request"].pk)
        result = real(**kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(services.ADMIN_REQUESTS, "refusal", slow)
    return calls


def approve(relationship, user):
    return lambda: services.admin_relationship_approve(
        relationship_id=relationship.pk, user=user, portal_cloud=Cloud.PUBLIC
    )


def assert_customer_list_is_right():
    fields = ["partner_id", "customer_id", "state", "since", "admin_until"]
    written = sorted(CustomerListRow.objects.values_list(*fields))
    customer_list_rebuild()
    assert written == sorted(CustomerListRow.objects.values_list(*fields))


def test_two_approvals_of_one_request_approve_it_once(
    partner_a, customer, customer_admin, slow_checks
):
    relationship = AdminRelationshipFactory(partner=partner_a, customer=None, pending=True)
    second_admin = member(customer, Role.CUSTOMER_GLOBAL_ADMIN)
    results = at_once(approve(relationship, customer_admin), approve(relationship, second_admin))
    approved = [r for r in results if isinstance(r, AdminRelationship)]
    refused = [r for r in results if isinstance(r, services.RequestRefused)]
    assert (len(approved), len(refused)) == (1, 1), results
    assert refused[0].refusal.code == "answered_here"
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_APPROVED).count() == 1
    assert len(slow_checks) == 2
    assert_customer_list_is_right()


def test_approval_racing_withdrawal_ends_one_way(partner_a, customer_admin, slow_checks):
    relationship = AdminRelationshipFactory(partner=partner_a, customer=None, pending=True)
    agent = member(partner_a, Role.ADMIN_AGENT)
    results = at_once(
        approve(relationship, customer_admin),
        lambda: services.admin_relationship_withdraw(relationship=relationship, withdrawn_by=agent),
    )
    relationship.refresh_from_db()
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], services.ServiceError)  # a refusal, never a crash
    assert relationship.status in (
        AdminRelationshipStatus.ACTIVE,
        AdminRelationshipStatus.WITHDRAWN,
    )
    if relationship.status == AdminRelationshipStatus.WITHDRAWN:
        assert errors[0].code == "withdrawn"
    else:
        assert errors[0].code == "not_pending"
    assert_customer_list_is_right()


def test_two_customers_approving_one_any_customer_request_bind_one(partner_a, slow_checks):
    from tests.factories import CustomerFactory

    first, second = CustomerFactory(), CustomerFactory()
    admins = [member(c, Role.CUSTOMER_GLOBAL_ADMIN) for c in (first, second)]
    relationship = AdminRelationshipFactory(partner=partner_a, customer=None, pending=True)
    results = at_once(*(approve(relationship, admin) for admin in admins))
    relationship.refresh_from_db()
    assert relationship.customer in (first, second)
    refused = [r for r in results if isinstance(r, services.RequestRefused)]
    assert [r.refusal.code for r in refused] == ["answered"]
    assert_customer_list_is_right()


def test_terminations_by_both_sides_at_once_terminate_once(partner_a, customer, customer_admin):
    relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
    agent = member(partner_a, Role.ADMIN_AGENT)
    results = at_once(
        lambda: services.admin_relationship_terminate(
            relationship=relationship, terminated_by=agent, by=partner_a
        ),
        lambda: services.admin_relationship_terminate(
            relationship=relationship, terminated_by=customer_admin, by=customer
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], services.ServiceError), results
    assert AuditEvent.objects.filter(action=AuditAction.ADMIN_TERMINATED).count() == 1
    assert_customer_list_is_right()
