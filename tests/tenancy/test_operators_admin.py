import pytest
from django.urls import reverse

from tenancy.models import AuditEvent, CustomerListRow, ResellerRelationship
from tests.factories import (
    AgreementAcceptanceFactory,
    AuditEventFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(admin_client):
    return admin_client


def test_an_operator_finds_a_tenant_by_domain(operator):
    wanted = CustomerFactory(name="Fourth Coffee", domain="fourthcoffee.onmicrosoft.com")
    CustomerFactory(name="Other")
    response = operator.get(reverse("admin:tenancy_tenant_changelist"), {"q": "fourthcoffee"})
    assert list(response.context["cl"].result_list) == [wanted]


def test_an_operator_finds_a_tenant_by_microsoft_id(operator):
    wanted = CustomerFactory(name="Fourth Coffee")
    CustomerFactory(name="Other")
    response = operator.get(reverse("admin:tenancy_tenant_changelist"), {"q": str(wanted.id)})
    assert list(response.context["cl"].result_list) == [wanted]


@pytest.mark.parametrize("term", ["not-a-uuid", "12345", "ünïcode", "'; drop table"])
def test_odd_search_terms_do_not_break_the_list(operator, term):
    CustomerFactory()
    response = operator.get(reverse("admin:tenancy_tenant_changelist"), {"q": term})
    assert response.status_code == 200


def test_an_operator_cannot_delete_a_relationship(operator):
    relationship = ResellerRelationshipFactory()
    url = reverse("admin:tenancy_resellerrelationship_delete", args=[relationship.pk])
    assert operator.get(url).status_code == 403
    assert operator.post(url, {"post": "yes"}).status_code == 403
    changelist = operator.get(reverse("admin:tenancy_resellerrelationship_changelist"))
    action_form = changelist.context["action_form"]
    assert action_form is None or "delete_selected" not in dict(
        action_form.fields["action"].choices
    )
    bulk = operator.post(
        reverse("admin:tenancy_resellerrelationship_changelist"),
        {"action": "delete_selected", "_selected_action": [relationship.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert ResellerRelationship.objects.filter(pk=relationship.pk).exists()


def test_an_operator_cannot_delete_or_change_an_agreement_acceptance(operator):
    acceptance = AgreementAcceptanceFactory()
    delete = reverse("admin:tenancy_agreementacceptance_delete", args=[acceptance.pk])
    assert operator.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:tenancy_agreementacceptance_change", args=[acceptance.pk])
    page = operator.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


def test_audit_events_are_read_only(operator):
    event = AuditEventFactory()
    change = reverse("admin:tenancy_auditevent_change", args=[event.pk])
    assert operator.get(change).status_code == 200
    assert operator.post(change, {"action": "customer.added"}).status_code == 403
    assert operator.get(reverse("admin:tenancy_auditevent_add")).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == event.action
    assert not AuditEvent.objects.exclude(pk=event.pk).exclude(action__startswith="account.")


@pytest.mark.parametrize(
    "model",
    [
        "market",
        "country",
        "tenant",
        "membership",
        "resellerrelationship",
        "adminrelationship",
        "invitation",
        "agreementacceptance",
        "offer",
        "subscription",
        "auditevent",
    ],
)
def test_every_model_has_a_working_list(operator, model):
    assert operator.get(reverse(f"admin:tenancy_{model}_changelist")).status_code == 200


def test_renaming_a_customer_renames_it_in_the_customer_list(operator):
    relationship = ResellerRelationshipFactory()
    customer = relationship.customer
    url = reverse("admin:tenancy_tenant_change", args=[customer.pk])
    page = operator.get(url).context
    form = page["adminform"].form
    data = {
        name: value if value is not None else ""
        for name, value in form.initial.items()
        if name in form.fields
    }
    for inline in page["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {
            management.add_prefix(name): value
            for name, value in management.initial.items()
            if value is not None
        }
    data |= {"name": "Renamed Traders", "country": customer.country_id}
    response = operator.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = CustomerListRow.objects.get(customer=customer)
    assert row.customer_name == "Renamed Traders"
