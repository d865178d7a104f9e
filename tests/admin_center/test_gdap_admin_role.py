"""The Delegated Admin Relationship Administrator (Entra's Customer Delegated Admin Relationship
Administrator): approves, declines and removes partners' admin relationships in the admin center,
and is refused everything else with the sentence a Billing administrator reads, changing
nothing."""

import html
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tenancy import services
from tenancy.models import (
    HELPDESK_ADMINISTRATOR,
    AdminRelationship,
    AdminRelationshipStatus,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Invitation,
    InvitationStatus,
    ResellerRelationship,
    Role,
)
from tests.admin_center.conftest import SIGNER, accept_url, decline_url, link_path, request_url
from tests.factories import (
    AdminRelationshipFactory,
    ResellerRelationshipFactory,
    factory_admin_token,
    grant_roles,
    member,
)

pytestmark = pytest.mark.django_db

HOME = reverse("admin_center:home")
LIST = reverse("admin_center:partner-relationships")
USERS = reverse("admin_center:users")
PROFILE = reverse("admin_center:organization-profile")
AGREEMENTS = reverse("admin_center:agreements")
ACTIVITY = reverse("admin_center:activity")

APPROVE_DENIAL = (
    "Only Global administrators and Delegated Admin Relationship Administrators can approve or "
    "decline a partner's admin relationship."
)
ADDRESS = {
    "address_line1": "1 Pike Place",
    "city": "Seattle",
    "region": "WA",
    "postal_code": "98101",
    "contact_email": "it@northwind.example",
}


def text(response) -> str:
    return html.unescape(response.content.decode())


def status_of(relationship) -> str:
    relationship.refresh_from_db()
    return relationship.display_status()


# --- The admin relationship request's own pages -----------------------------------------------


def open_path(relationship) -> str:
    path = reverse("admin_center:gdap-open", args=[relationship.pk])
    return f"{path}?{urlencode({'token': factory_admin_token(relationship)})}"


def gdap_url(name: str, relationship) -> str:
    return reverse(f"admin_center:{name}", args=[relationship.pk])


# --- A partner's pending requests -------------------------------------------------------------


def pending_url(name: str, partner) -> str:
    return reverse(f"admin_center:{name}", args=[partner.pk])


def ids(*relationships) -> dict:
    return {"request": [str(relationship.pk) for relationship in relationships]}


@pytest.fixture
def gdap_admin(customer):
    return member(
        customer,
        Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN,
        username="gdapadmin@northwindtraders.onmicrosoft.com",
    )


@pytest.fixture
def admin_request(partner_a, admin_agent):
    """A finalized request for any customer, waiting for an answer."""
    return AdminRelationshipFactory(
        partner=partner_a,
        customer=None,
        pending=True,
        name="Northwind helpdesk",
        roles=[HELPDESK_ADMINISTRATOR],
        finalized_by=admin_agent,
    )


@pytest.fixture
def opened_as(client_for):
    """`opened_as(user, relationship)`: a client signed in as `user` that opened the link."""

    def open_as(user, relationship):
        client = client_for(user)
        assert client.get(open_path(relationship)).status_code == 302
        return client

    return open_as


@pytest.fixture
def two_waiting(partner_a, customer, admin_agent):
    return [
        AdminRelationshipFactory(
            partner=partner_a, customer=customer, pending=True, name=name, finalized_by=admin_agent
        )
        for name in ("Northwind support", "Northwind security")
    ]


@pytest.fixture
def in_force(partner_a, customer, admin_agent):
    """An approved admin relationship whose roles an agent of the partner holds, beside the
    partner's reseller relationship."""
    ResellerRelationshipFactory(partner=partner_a, customer=customer)
    relationship = AdminRelationshipFactory(
        partner=partner_a, customer=customer, name="Northwind support", finalized_by=admin_agent
    )
    grant_roles(admin_agent.membership, relationship)
    return relationship


class TestTheRequestsLink:
    def test_it_approves_a_request(self, opened_as, gdap_admin, customer, admin_request):
        client = opened_as(gdap_admin, admin_request)
        page = text(client.get(gdap_url("gdap-request", admin_request)))
        assert "Approve all" in page and "Northwind helpdesk" in page
        response = client.post(gdap_url("gdap-approve", admin_request), follow=True)
        assert "You approved “Northwind helpdesk”" in text(response)
        admin_request.refresh_from_db()
        assert admin_request.status == AdminRelationshipStatus.ACTIVE
        assert (admin_request.customer, admin_request.approved_by) == (customer, gdap_admin)
        approved = AuditEvent.objects.get(action=AuditAction.ADMIN_APPROVED)
        assert (approved.actor, approved.actor_tenant) == (gdap_admin, customer)

    def test_it_declines_a_request(self, opened_as, gdap_admin, customer, admin_request):
        client = opened_as(gdap_admin, admin_request)
        assert client.get(gdap_url("gdap-decline", admin_request)).status_code == 200
        response = client.post(gdap_url("gdap-decline", admin_request), follow=True)
        assert "You declined the admin relationship request “Northwind helpdesk”" in text(response)
        assert status_of(admin_request) == AdminRelationshipStatus.DECLINED
        assert AuditEvent.objects.get(action=AuditAction.ADMIN_DECLINED).actor == gdap_admin


class TestAPartnersPendingRequests:
    def test_it_sees_and_approves_them_all(self, client_for, gdap_admin, partner_a, two_waiting):
        client = client_for(gdap_admin)
        partners = text(client.get(LIST))
        assert f'href="{pending_url("partner-requests", partner_a)}"' in partners
        page = text(client.get(pending_url("partner-requests", partner_a)))
        assert "Northwind support" in page and "Northwind security" in page
        response = client.post(
            pending_url("partner-requests-approve", partner_a), ids(*two_waiting), follow=True
        )
        assert "You approved 2 admin relationship requests from Contoso Partners" in text(response)
        assert [status_of(r) for r in two_waiting] == [AdminRelationshipStatus.ACTIVE] * 2
        assert {r.approved_by for r in two_waiting} == {gdap_admin}

    def test_it_declines_one(self, client_for, gdap_admin, partner_a, two_waiting):
        client = client_for(gdap_admin)
        url = pending_url("partner-requests-decline", partner_a)
        confirm = client.get(url, ids(two_waiting[0]))
        assert confirm.status_code == 200
        assert "Decline Contoso Partners' request for admin roles?" in text(confirm)
        response = client.post(url, ids(two_waiting[0]), follow=True)
        assert "You declined 1 admin relationship request from Contoso Partners" in text(response)
        assert status_of(two_waiting[0]) == AdminRelationshipStatus.DECLINED
        assert status_of(two_waiting[1]) == AdminRelationshipStatus.APPROVAL_PENDING


class TestRemoveRoles:
    def test_it_removes_the_roles_of_one_in_force(
        self, client_for, gdap_admin, customer, in_force, django_capture_on_commit_callbacks
    ):
        client = client_for(gdap_admin)
        remove = gdap_url("gdap-terminate", in_force)
        page = text(client.get(LIST))
        assert f'href="{remove}"' in page
        assert "End reseller relationship" not in page
        assert client.get(remove).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(remove, follow=True)
        assert "Contoso Partners no longer holds the roles of “Northwind support”" in text(response)
        in_force.refresh_from_db()
        assert in_force.display_status() == AdminRelationshipStatus.TERMINATED
        assert (in_force.closed_by, in_force.closed_by_tenant) == (gdap_admin, customer)
        # Removing roles ends the admin relationship, never the reseller relationship.
        assert ResellerRelationship.objects.active().count() == 1


class TestWhatItMayNotDo:
    """Each refused with the sentence that says who may, as a Billing administrator is, and
    nothing changed."""

    @pytest.mark.parametrize(
        ("include_admin", "denial"),
        [
            (
                True,
                "Only Global administrators can accept a request that includes admin permissions.",
            ),
            (
                False,
                "Only Global administrators and Billing administrators can accept a reseller "
                "relationship.",
            ),
        ],
    )
    def test_it_may_not_answer_a_reseller_request(
        self, client_for, gdap_admin, partner_a, sales_agent, include_admin, denial
    ):
        invitation = services.invitation_create(
            partner=partner_a, created_by=sales_agent, include_admin=include_admin
        )
        client = client_for(gdap_admin)
        assert client.get(link_path(invitation)).status_code == 302
        response = client.get(request_url(invitation))
        assert response.status_code == 403
        page = text(response)
        assert denial in page
        assert "Your role can't accept this request" in page
        assert client.post(accept_url(invitation), SIGNER).status_code == 403
        assert client.post(decline_url(invitation)).status_code == 403
        assert Invitation.objects.get().status == InvitationStatus.PENDING
        assert not ResellerRelationship.objects.exists()
        assert not AdminRelationship.objects.exists()
        assert not AgreementAcceptance.objects.exists()

    def test_it_may_not_end_a_reseller_relationship(
        self, client_for, gdap_admin, partner_a, in_force
    ):
        url = reverse("admin_center:end-reseller", args=[partner_a.pk])
        response = client_for(gdap_admin).post(url)
        assert response.status_code == 403
        assert "Only Global administrators can end a reseller relationship." in text(response)
        assert ResellerRelationship.objects.active().count() == 1

    def test_it_may_not_manage_the_users(self, client_for, gdap_admin, customer_user):
        client = client_for(gdap_admin)
        denial = "Only Global administrators can see users' sign-in methods and reset them."
        response = client.get(USERS)
        assert response.status_code == 403
        assert denial in text(response)
        reset = reverse("admin_center:user-reset-sign-in", args=[customer_user.membership.pk])
        assert client.post(reset).status_code == 403
        assert not AuditEvent.objects.filter(action=AuditAction.MFA_RESET).exists()

    def test_it_may_not_edit_the_profile(self, client_for, gdap_admin, customer):
        response = client_for(gdap_admin).post(PROFILE, ADDRESS)
        assert response.status_code == 403
        assert (
            "Only Global administrators and Billing administrators can change the organization "
            "profile."
        ) in text(response)
        customer.refresh_from_db()
        assert customer.address_line1 != ADDRESS["address_line1"]
        assert not AuditEvent.objects.filter(action=AuditAction.PROFILE_UPDATED).exists()

    def test_it_may_not_accept_the_agreement(self, client_for, gdap_admin):
        response = client_for(gdap_admin).post(AGREEMENTS, SIGNER)
        assert response.status_code == 403
        assert (
            "Only Global administrators and Billing administrators can accept the Microsoft "
            "Customer Agreement."
        ) in text(response)
        assert not AgreementAcceptance.objects.exists()

    def test_it_may_not_see_the_activity(self, client_for, gdap_admin):
        assert client_for(gdap_admin).get(ACTIVITY).status_code == 403


class TestTheRefusalsOfOthersNameIt:
    def test_a_billing_administrator_is_told_who_may_approve(
        self, opened_as, customer_billing_admin, admin_request
    ):
        client = opened_as(customer_billing_admin, admin_request)
        response = client.get(gdap_url("gdap-request", admin_request))
        assert response.status_code == 403
        page = text(response)
        assert "Your role can't approve admin roles" in page
        assert APPROVE_DENIAL in page
        assert "You are signed in as Billing administrator of Northwind Traders." in page
        assert "Forward the partner's email to someone in Northwind Traders who can approve" in page
        assert client.post(gdap_url("gdap-approve", admin_request)).status_code == 403
        assert status_of(admin_request) == AdminRelationshipStatus.APPROVAL_PENDING

    def test_a_plain_user_is_refused_removing_roles_naming_both(
        self, client_for, customer_user, in_force
    ):
        response = client_for(customer_user).post(gdap_url("gdap-terminate", in_force))
        assert response.status_code == 403
        assert (
            "Only Global administrators and Delegated Admin Relationship Administrators can "
            "remove a partner's admin roles."
        ) in text(response)
        assert status_of(in_force) == AdminRelationshipStatus.ACTIVE

    def test_a_partners_agent_is_told_who_approves(self, opened_as, agent_b, admin_request):
        page = text(opened_as(agent_b, admin_request).get(gdap_url("gdap-request", admin_request)))
        assert (
            "An admin relationship request is approved by a Global administrator or a Delegated "
            "Admin Relationship Administrator of the customer's organization."
        ) in page
        assert "sign in with an account of your organization that can approve" in page


class TestNavigation:
    def test_it_offers_only_home_and_partner_relationships(self, client_for, gdap_admin):
        client = client_for(gdap_admin)
        page = client.get(HOME).content.decode()
        nav = page.split('<nav class="sidenav"')[1].split("</nav>")[0]
        assert re.findall(r'href="([^"]+)"', nav) == [HOME, LIST]
        assert "Users" not in nav and "Billing" not in nav
        main = page.split("<main")[1]
        for closed in (USERS, PROFILE, AGREEMENTS, ACTIVITY):
            assert closed not in main
        assert client.get(LIST).status_code == 200


class TestTheUsersPage:
    def test_a_global_administrator_sees_the_role(self, client_for, customer_admin, gdap_admin):
        page = text(client_for(customer_admin).get(USERS))
        row = page.split("gdapadmin@northwindtraders.onmicrosoft.com")[1].split("</tr>")[0]
        assert "Delegated Admin Relationship Administrator" in row


class TestGivingTheRole:
    def roles_url(self, user) -> str:
        return reverse("admin_center:user-roles", args=[user.membership.pk])

    def test_a_global_administrator_gives_a_user_the_role(
        self, client_for, customer_admin, customer_user, customer
    ):
        client = client_for(customer_admin)
        assert f'href="{self.roles_url(customer_user)}"' in text(client.get(USERS))
        form = text(client.get(self.roles_url(customer_user)))
        assert "Delegated Admin Relationship Administrator" in form
        gdap = Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN
        response = client.post(self.roles_url(customer_user), {"roles": [gdap]}, follow=True)
        assert "user@northwindtraders.onmicrosoft.com's roles were saved." in text(response)
        customer_user.membership.refresh_from_db()
        assert customer_user.membership.roles == {gdap}
        line = AuditEvent.objects.get(action=AuditAction.ROLES_CHANGED)
        assert (line.actor, line.customer) == (customer_admin, customer)
        assert line.details["roles"] == [[Role.CUSTOMER_USER], [gdap]]
        # Signed in, the user now answers admin relationship requests.
        assert client_for(customer_user).get(LIST).status_code == 200

    def test_it_keeps_an_active_global_administrator(self, client_for, customer_admin):
        gdap = Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN
        response = client_for(customer_admin).post(
            self.roles_url(customer_admin), {"roles": [gdap]}
        )
        assert response.status_code == 400
        assert "the organization's only Global administrator" in text(response)
        customer_admin.membership.refresh_from_db()
        assert customer_admin.membership.roles == {Role.CUSTOMER_GLOBAL_ADMIN}

    @pytest.mark.parametrize("roles", [[], [Role.ADMIN_AGENT], ["customer.nonsense"]])
    def test_only_the_customers_roles_can_be_given(
        self, client_for, customer_admin, customer_user, roles
    ):
        response = client_for(customer_admin).post(self.roles_url(customer_user), {"roles": roles})
        assert response.status_code == 400
        customer_user.membership.refresh_from_db()
        assert customer_user.membership.roles == {Role.CUSTOMER_USER}

    def test_another_organizations_user_is_a_404(self, client_for, customer_admin, agent_b):
        assert client_for(customer_admin).get(self.roles_url(agent_b)).status_code == 404

    @pytest.mark.parametrize("who", ["gdap_admin", "customer_billing_admin", "customer_user"])
    def test_only_a_global_administrator_gives_roles(self, client_for, request, who, customer_user):
        client = client_for(request.getfixturevalue(who))
        gdap = Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN
        response = client.post(self.roles_url(customer_user), {"roles": [gdap]})
        assert response.status_code == 403
        customer_user.membership.refresh_from_db()
        assert customer_user.membership.roles == {Role.CUSTOMER_USER}
