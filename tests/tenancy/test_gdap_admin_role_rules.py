"""The Delegated Admin Relationship Administrator in the rules and the services: its row of the
role table, the sentences that say who may, and the services that check it under their locks
(approve, decline, terminate; accepting a reseller request, ending one, resetting sign-in
methods refused); who hears of an admin relationship request by email; the demo's account."""

import random

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tenancy import selectors, services
from tenancy.demo.cast import Demo, cast
from tenancy.models import (
    HELPDESK_ADMINISTRATOR,
    AdminRelationshipStatus,
    Cloud,
    Invitation,
    InvitationStatus,
    Membership,
    ResellerRelationship,
    Role,
)
from tenancy.rules import DENIAL_MESSAGES, PERMISSIONS, Action, denial_message, may
from tenancy.rules import request_refusals as request_rules
from tests.factories import (
    PASSWORD,
    AdminRelationshipFactory,
    PartnerFactory,
    ResellerRelationshipFactory,
    member,
)

GDAP_ADMIN = Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN
# What it may do: answer (approve or decline: one action), see and remove (terminate).
ITS_ACTIONS = {
    Action.APPROVE_ADMIN_RELATIONSHIP,
    Action.REMOVE_ADMIN_ROLES,
    Action.VIEW_PARTNER_RELATIONSHIPS,
}
CUSTOMER_ROLES = [role for role in Role if role.value.startswith("customer.")]
CUSTOMER_ACTIONS = [
    action
    for action, roles in PERMISSIONS.items()
    if any(role.value.startswith("customer.") for role in roles)
]


class TestTheRole:
    def test_it_is_a_customer_role_with_its_label(self):
        assert GDAP_ADMIN.value == "customer.gdap_admin"
        assert GDAP_ADMIN.label == "Delegated Admin Relationship Administrator"
        assert GDAP_ADMIN in CUSTOMER_ROLES

    @pytest.mark.parametrize("action", list(Action))
    def test_it_may_answer_see_and_remove_admin_relationships_and_nothing_else(self, action):
        assert may({GDAP_ADMIN}, action) is (action in ITS_ACTIONS)

    def test_accepting_a_request_with_admin_roles_stays_a_global_administrators(self):
        assert PERMISSIONS[Action.ACCEPT_WITH_ADMIN] == (Role.CUSTOMER_GLOBAL_ADMIN,)
        for action in (Action.APPROVE_ADMIN_RELATIONSHIP, Action.REMOVE_ADMIN_ROLES):
            assert set(PERMISSIONS[action]) == {Role.CUSTOMER_GLOBAL_ADMIN, GDAP_ADMIN}


class TestWhoMaySays:
    def test_the_sentences_of_its_actions_name_it(self):
        assert denial_message(Action.APPROVE_ADMIN_RELATIONSHIP) == (
            "Only Global administrators and Delegated Admin Relationship Administrators can "
            "approve or decline a partner's admin relationship."
        )
        assert denial_message(Action.REMOVE_ADMIN_ROLES) == (
            "Only Global administrators and Delegated Admin Relationship Administrators can "
            "remove a partner's admin roles."
        )
        assert denial_message(Action.VIEW_PARTNER_RELATIONSHIPS) == (
            "Only Global administrators, Billing administrators and Delegated Admin "
            "Relationship Administrators can see partner relationships."
        )

    @pytest.mark.parametrize("action", CUSTOMER_ACTIONS)
    def test_each_customer_sentence_names_exactly_the_roles_that_may(self, action):
        sentence = str(DENIAL_MESSAGES[action])
        for role in CUSTOMER_ROLES:
            named = f"{role.label}s" in sentence
            assert named is (role in PERMISSIONS[action]), (action, role)


@pytest.mark.django_db
class TestTheRequestRule:
    def viewer(self, user) -> request_rules.Viewer:
        return request_rules.Viewer(user.membership, Cloud.PUBLIC)

    def test_it_may_answer_an_admin_relationship_request(self, customer):
        gdap = member(customer, GDAP_ADMIN)
        assert (
            request_rules.role_refusal(
                self.viewer(gdap), Action.APPROVE_ADMIN_RELATIONSHIP, request_rules.ADMIN
            )
            is None
        )

    def test_a_billing_administrator_is_told_both_roles_and_their_own(self, customer_billing_admin):
        refusal = request_rules.role_refusal(
            self.viewer(customer_billing_admin),
            Action.APPROVE_ADMIN_RELATIONSHIP,
            request_rules.ADMIN,
        )
        assert refusal.code == "role"
        assert refusal.message == (
            "Only Global administrators and Delegated Admin Relationship Administrators can "
            "approve or decline a partner's admin relationship. You are signed in as Billing "
            "administrator of Northwind Traders."
        )

    @pytest.mark.parametrize("include_admin", [True, False])
    def test_it_may_not_accept_a_reseller_request(self, customer, include_admin):
        gdap = member(customer, GDAP_ADMIN)
        action = Action.ACCEPT_WITH_ADMIN if include_admin else Action.ACCEPT_RESELLER
        refusal = request_rules.role_refusal(self.viewer(gdap), action, request_rules.RESELLER)
        assert refusal.code == "role"
        assert refusal.message == denial_message(action)

    def test_someone_of_no_customer_is_told_who_approves(self, partner_a):
        agent = member(partner_a, Role.ADMIN_AGENT)
        refusal = request_rules.viewer_refusal(None, self.viewer(agent), request_rules.ADMIN)
        assert refusal.code == "not_customer"
        assert (
            "approved by a Global administrator or a Delegated Admin Relationship "
            "Administrator of the customer's organization"
        ) in refusal.message


@pytest.mark.django_db
class TestTheServices:
    @pytest.fixture
    def gdap(self, customer):
        return member(customer, GDAP_ADMIN, username="gdapadmin@northwindtraders.onmicrosoft.com")

    @pytest.fixture
    def waiting(self, partner_a, customer):
        return AdminRelationshipFactory(
            partner=partner_a, customer=customer, pending=True, roles=[HELPDESK_ADMINISTRATOR]
        )

    def answer(self, service, relationship, user):
        return service(relationship_id=relationship.pk, user=user, portal_cloud=Cloud.PUBLIC)

    def test_it_approves(self, gdap, waiting):
        approved = self.answer(services.admin_relationship_approve, waiting, gdap)
        assert approved.display_status() == AdminRelationshipStatus.ACTIVE
        assert approved.approved_by == gdap

    def test_it_declines(self, gdap, waiting):
        declined = self.answer(services.admin_relationship_decline, waiting, gdap)
        assert declined.display_status() == AdminRelationshipStatus.DECLINED

    def test_a_plain_user_is_refused_under_the_lock(self, customer_user, waiting):
        with pytest.raises(services.RequestRefused) as refused:
            self.answer(services.admin_relationship_approve, waiting, customer_user)
        assert refused.value.refusal.code == "role"
        assert "Delegated Admin Relationship Administrators" in refused.value.refusal.message
        waiting.refresh_from_db()
        assert waiting.display_status() == AdminRelationshipStatus.APPROVAL_PENDING

    def test_it_terminates_from_the_customers_side(self, gdap, partner_a, customer):
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        services.admin_relationship_terminate(
            relationship=relationship, terminated_by=gdap, by=customer
        )
        relationship.refresh_from_db()
        assert relationship.display_status() == AdminRelationshipStatus.TERMINATED
        assert relationship.closed_by == gdap

    def test_a_billing_administrator_may_not_terminate(
        self, customer_billing_admin, partner_a, customer
    ):
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        with pytest.raises(services.ServiceError) as refused:
            services.admin_relationship_terminate(
                relationship=relationship, terminated_by=customer_billing_admin, by=customer
            )
        assert refused.value.message == denial_message(Action.REMOVE_ADMIN_ROLES)
        assert relationship.is_in_force()

    @pytest.mark.parametrize("include_admin", [True, False])
    def test_it_may_not_accept_a_reseller_request(
        self, gdap, partner_a, sales_agent, include_admin
    ):
        invitation = services.invitation_create(
            partner=partner_a, created_by=sales_agent, include_admin=include_admin
        )
        signer = services.Signer(
            "Margaret", "Peacock", "gdapadmin@northwindtraders.onmicrosoft.com", ""
        )
        with pytest.raises(services.RequestRefused) as refused:
            services.invitation_accept(
                invitation_id=invitation.pk,
                user=gdap,
                signer=signer,
                client_ip=None,
                portal_cloud=Cloud.PUBLIC,
            )
        assert refused.value.refusal.code == "role"
        assert Invitation.objects.get().status == InvitationStatus.PENDING
        assert not ResellerRelationship.objects.exists()

    def test_it_may_not_end_a_reseller_relationship(self, gdap, partner_a, customer):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
        with pytest.raises(services.ServiceError) as refused:
            services.reseller_relationship_end(
                partner=partner_a, customer=customer, ended_by=gdap, by=customer
            )
        assert refused.value.code == "role"
        assert ResellerRelationship.objects.active().count() == 1

    def test_it_may_not_reset_sign_in_methods(self, gdap, customer_user):
        with pytest.raises(PermissionDenied, match="Only Global administrators can see users'"):
            services.sign_in_methods_reset(
                membership=gdap.membership, target=customer_user.membership
            )


@pytest.mark.django_db
class TestWhoHearsOfARequest:
    def test_the_roles_that_answer_get_the_emails(self, customer, customer_admin):
        gdap = member(customer, GDAP_ADMIN, username="gdapadmin@northwindtraders.onmicrosoft.com")
        member(customer, Role.CUSTOMER_BILLING_ADMIN)
        member(customer, Role.CUSTOMER_USER)
        member(customer, GDAP_ADMIN, is_active=False)
        member(customer, GDAP_ADMIN, email="")
        member(PartnerFactory(), Role.GLOBAL_ADMIN)
        assert selectors.global_administrator_emails(customer) == sorted(
            [customer_admin.email, gdap.email]
        )

    def test_a_partners_termination_reaches_it(
        self, partner_a, admin_agent, customer, django_capture_on_commit_callbacks
    ):
        gdap = member(customer, GDAP_ADMIN, username="gdapadmin@northwindtraders.onmicrosoft.com")
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer)
        with django_capture_on_commit_callbacks(execute=True):
            services.admin_relationship_terminate(
                relationship=relationship, terminated_by=admin_agent, by=partner_a
            )
        [email] = mail.outbox
        assert email.to == [gdap.email]

    def test_a_request_sent_again_reaches_it(
        self, partner_a, admin_agent, customer, customer_admin, django_capture_on_commit_callbacks
    ):
        gdap = member(customer, GDAP_ADMIN, username="gdapadmin@northwindtraders.onmicrosoft.com")
        relationship = AdminRelationshipFactory(partner=partner_a, customer=customer, pending=True)
        with django_capture_on_commit_callbacks(execute=True):
            sent = services.admin_request_remind(relationship=relationship, reminded_by=admin_agent)
        assert sent == 2
        assert sorted(address for email in mail.outbox for address in email.to) == sorted(
            [customer_admin.email, gdap.email]
        )


@pytest.mark.django_db
def test_the_demo_has_northwinds_delegated_admin_relationship_administrator():
    demo = Demo(now=timezone.now(), rng=random.Random(2026), password=make_password(PASSWORD))
    cast(demo)
    gdap = Membership.objects.get(user__username="gdapadmin@northwindtraders.onmicrosoft.com")
    assert gdap.tenant.name == "Northwind Traders"
    assert gdap.roles == {GDAP_ADMIN}
    # Northwind's contact stays its Global administrator.
    assert gdap.tenant.contact_email == "admin@northwindtraders.onmicrosoft.com"


@pytest.mark.django_db
class TestGivingRoles:
    def test_a_global_administrator_gives_the_role(self, customer_admin, customer_user):
        changed = services.membership_roles_set(
            membership=customer_admin.membership,
            target=customer_user.membership,
            roles=[GDAP_ADMIN],
        )
        assert changed
        customer_user.membership.refresh_from_db()
        assert customer_user.membership.roles == {GDAP_ADMIN}
        assert not services.membership_roles_set(
            membership=customer_admin.membership,
            target=customer_user.membership,
            roles=[GDAP_ADMIN],
        )

    def test_the_role_may_not_give_roles(self, customer, customer_user):
        gdap = member(customer, GDAP_ADMIN)
        with pytest.raises(PermissionDenied):
            services.membership_roles_set(
                membership=gdap.membership, target=customer_user.membership, roles=[GDAP_ADMIN]
            )

    def test_a_second_global_administrator_may_step_down(self, customer, customer_admin):
        member(customer, Role.CUSTOMER_GLOBAL_ADMIN)
        assert services.membership_roles_set(
            membership=customer_admin.membership,
            target=customer_admin.membership,
            roles=[GDAP_ADMIN],
        )
