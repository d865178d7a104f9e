"""Pending requests from one partner: a customer's Global administrator sees every admin
relationship request a partner sent the organization that still waits, and approves or declines
each, or all the page showed, through the single request's own rules and services."""

import html
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from admin_center.views.pending_requests import pending_together
from tenancy import services
from tenancy.models import (
    GLOBAL_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    AccessAssignment,
    AdminRelationshipStatus,
    AuditAction,
    AuditEvent,
    Role,
    SecurityGroupMember,
)
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    SecurityGroupFactory,
    factory_admin_token,
    member,
)

pytestmark = pytest.mark.django_db

# Session; user with membership and roles; the partner; the waiting requests with who sent them
# and their templates, however many there are.
PAGE_QUERIES = 4


def page_url(partner, portal="admin_center") -> str:
    return reverse("admin_center:partner-requests", args=[partner.pk], current_app=portal)


def approve_url(partner) -> str:
    return reverse("admin_center:partner-requests-approve", args=[partner.pk])


def decline_url(partner) -> str:
    return reverse("admin_center:partner-requests-decline", args=[partner.pk])


def ids(*relationships) -> dict:
    return {"request": [str(relationship.pk) for relationship in relationships]}


def text(response) -> str:
    return html.unescape(response.content.decode())


def status_of(relationship) -> str:
    relationship.refresh_from_db()
    return relationship.status


def waiting(partner, customer, name, **fields):
    return AdminRelationshipFactory(
        partner=partner, customer=customer, pending=True, name=name, **fields
    )


@pytest.fixture
def helpdesk_tier(partner_a, admin_agent, helpdesk_agent, customer):
    """A request made from the partner's "Helpdesk tier" template, whose mapping gives its
    Helpdesk group a role once approved."""
    group = SecurityGroupFactory(partner=partner_a, name="Helpdesk")
    SecurityGroupMember.objects.create(group=group, membership=helpdesk_agent.membership)
    template = services.template_create(
        partner=partner_a,
        created_by=admin_agent,
        content=services.TemplateContent(
            name="Helpdesk tier",
            roles=[HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR],
            duration_days=365,
            auto_extend=True,
            mappings=[(group, [HELPDESK_ADMINISTRATOR])],
        ),
    )
    return services.admin_relationship_create(
        partner=partner_a,
        created_by=admin_agent,
        request=services.AdminRequest(
            name="Helpdesk tier - Northwind",
            duration_days=365,
            roles=[HELPDESK_ADMINISTRATOR, LICENSE_ADMINISTRATOR],
            auto_extend=True,
        ),
        customer=customer,
        finalize=True,
        template_version=template.latest,
    )


@pytest.fixture
def least_privilege(partner_a, customer, admin_agent):
    return waiting(
        partner_a,
        customer,
        "Least privilege - Northwind",
        roles=[GLOBAL_ADMINISTRATOR],
        duration_days=30,
        finalized_by=admin_agent,
    )


@pytest.fixture
def two_waiting(least_privilege, helpdesk_tier):
    return [least_privilege, helpdesk_tier]


class TestPage:
    def test_it_lists_every_request_of_the_partner_waiting_for_this_organization(
        self, client_for, customer_admin, customer, partner_a, partner_b, two_waiting
    ):
        now = timezone.now()
        others = [
            # Answered, lapsed, a draft, for another organization, for any organization, and
            # another partner's.
            waiting(
                partner_a,
                customer,
                "Declined one",
                status=AdminRelationshipStatus.DECLINED,
                closed_at=now,
            ),
            waiting(
                partner_a,
                customer,
                "Lapsed one",
                created_at=now - timedelta(days=91),
                finalized_at=now - timedelta(days=91),
            ),
            waiting(partner_a, customer, "Draft one", status=AdminRelationshipStatus.CREATED),
            waiting(partner_a, CustomerFactory(), "Another organization's"),
            waiting(partner_a, None, "For any organization"),
            waiting(partner_b, customer, "Another partner's"),
        ]
        response = client_for(customer_admin).get(page_url(partner_a))
        assert response.status_code == 200
        page = text(response)
        assert "<h1>Pending requests from Contoso Partners</h1>" in page
        assert page.count('<th scope="row">') == 2
        for relationship in two_waiting:
            assert f'<th scope="row">{relationship.name}</th>' in page
        for relationship in others:
            assert relationship.name not in page

    def test_each_row_shows_the_roles_duration_auto_extend_and_request_not_the_template(
        self, client_for, customer_admin, partner_a, two_waiting, least_privilege
    ):
        page = text(client_for(customer_admin).get(page_url(partner_a)))
        assert "<li>Helpdesk Administrator</li>" in page
        assert "<li>License Administrator</li>" in page
        assert "<li>Global Administrator</li>" in page
        assert "365 days" in page and "30 days" in page
        assert "Then extended by 180 days at a time, until you or the partner end it" in page
        assert "Not extended automatically" in page
        # The partner's template is its own business (its name may say more than it means to).
        assert "version 1" not in page
        assert "by adminagent@contosopartners.onmicrosoft.com" in page
        expires = least_privilege.request_expires_at()
        assert f"Answer by {expires:%B} {expires.day}, {expires:%Y}" in page
        assert page.index("Least privilege") < page.index("Helpdesk tier - Northwind")

    def test_global_administrator_is_pointed_out_as_on_the_single_page(
        self, client_for, customer_admin, partner_a, two_waiting
    ):
        page = text(client_for(customer_admin).get(page_url(partner_a)))
        assert page.count("This request includes Global Administrator.") == 1
        assert "With it, Contoso Partners' agents could change anything in your organization" in (
            page
        )
        assert "One of these requests includes Global Administrator." in page

    def test_its_buttons_name_the_request_they_answer(
        self, client_for, customer_admin, partner_a, two_waiting, helpdesk_tier
    ):
        page = text(client_for(customer_admin).get(page_url(partner_a)))
        assert (
            'Approve<span class="visually-hidden"> “Helpdesk tier - Northwind”</span></button>'
        ) in page
        assert 'Decline<span class="visually-hidden"> “Helpdesk tier - Northwind”</span>' in page
        assert f'href="{decline_url(partner_a)}?request={helpdesk_tier.pk}"' in page
        assert "Approve all<span" in page and "Decline all<span" in page
        assert '<th scope="col">Roles</th>' in page

    def test_approve_all_is_offered_only_with_several_requests(
        self, client_for, customer_admin, partner_a, least_privilege
    ):
        page = text(client_for(customer_admin).get(page_url(partner_a)))
        assert "Approve<span" in page
        assert "Approve all" not in page

    def test_with_nothing_waiting_it_says_so(self, client_for, customer_admin, partner_a, customer):
        AdminRelationshipFactory(partner=partner_a, customer=customer)
        response = client_for(customer_admin).get(page_url(partner_a))
        assert response.status_code == 200
        assert "No admin relationship request from Contoso Partners is waiting" in text(response)

    def test_its_query_count_is_fixed_whatever_the_number_of_requests(
        self,
        client_for,
        customer_admin,
        customer,
        partner_a,
        admin_agent,
        helpdesk_tier,
        django_assert_num_queries,
    ):
        client = client_for(customer_admin)
        with django_assert_num_queries(PAGE_QUERIES):
            page = client.get(page_url(partner_a))
        assert text(page).count('<th scope="row">') == 1
        for n in range(9):
            waiting(partner_a, customer, f"Request {n}", finalized_by=admin_agent)
        with django_assert_num_queries(PAGE_QUERIES):
            page = client.get(page_url(partner_a))
        assert text(page).count('<th scope="row">') == 10


class TestApprove:
    def test_one_row_approves_that_request_only(
        self, client_for, customer_admin, customer, partner_a, two_waiting, least_privilege
    ):
        client = client_for(customer_admin)
        response = client.post(approve_url(partner_a), ids(least_privilege))
        assert response.status_code == 302
        assert response["Location"] == page_url(partner_a)
        assert status_of(least_privilege) == AdminRelationshipStatus.ACTIVE
        assert least_privilege.approved_by == customer_admin
        assert status_of(two_waiting[1]) == AdminRelationshipStatus.APPROVAL_PENDING
        page = text(client.get(response["Location"]))
        assert "You approved 1 admin relationship request from Contoso Partners" in page
        assert page.count('<th scope="row">') == 1

    def test_approve_all_approves_what_was_shown_and_not_what_came_after(
        self, client_for, customer_admin, customer, partner_a, two_waiting, helpdesk_tier
    ):
        client = client_for(customer_admin)
        client.get(page_url(partner_a))
        later = waiting(partner_a, customer, "Arrived later")
        response = client.post(approve_url(partner_a), ids(*two_waiting), follow=True)
        page = text(response)
        assert "You approved 2 admin relationship requests from Contoso Partners" in page
        assert all(status_of(r) == AdminRelationshipStatus.ACTIVE for r in two_waiting)
        assert status_of(later) == AdminRelationshipStatus.APPROVAL_PENDING
        assert response.redirect_chain[-1][0] == page_url(partner_a)
        assert "Arrived later" in page
        approved = AuditEvent.objects.filter(action=AuditAction.ADMIN_APPROVED)
        assert approved.count() == 2
        # The template's mapping became the Helpdesk group's access in the approval.
        [assignment] = AccessAssignment.objects.filter(relationship=helpdesk_tier)
        assert assignment.roles == [HELPDESK_ADMINISTRATOR]

    def test_when_the_last_is_answered_it_goes_to_partner_relationships(
        self, client_for, customer_admin, partner_a, two_waiting
    ):
        response = client_for(customer_admin).post(approve_url(partner_a), ids(*two_waiting))
        assert response["Location"] == reverse("admin_center:partner-relationships")

    def test_it_says_which_could_not_be_approved_and_why(
        self, client_for, customer_admin, partner_a, admin_agent, two_waiting, least_privilege
    ):
        client = client_for(customer_admin)
        services.admin_relationship_withdraw(relationship=least_privilege, withdrawn_by=admin_agent)
        page = text(client.post(approve_url(partner_a), ids(*two_waiting), follow=True))
        assert "You approved 1 admin relationship request from Contoso Partners" in page
        assert (
            "“Least privilege - Northwind” was not approved: Contoso Partners withdrew this admin "
            "relationship request on"
        ) in page
        assert status_of(least_privilege) == AdminRelationshipStatus.WITHDRAWN
        assert status_of(two_waiting[1]) == AdminRelationshipStatus.ACTIVE
        # Recorded as the single page records a refusal.
        refused = AuditEvent.objects.get(action=AuditAction.ADMIN_REFUSED)
        assert refused.details["reason"] == "withdrawn"

    def test_a_request_approved_meanwhile_by_another_administrator_is_not_approved_twice(
        self, client_for, customer_admin, customer, partner_a, two_waiting, least_privilege
    ):
        other_admin = member(customer, Role.CUSTOMER_GLOBAL_ADMIN)
        client_for(other_admin).post(approve_url(partner_a), ids(least_privilege))
        page = text(
            client_for(customer_admin).post(approve_url(partner_a), ids(*two_waiting), follow=True)
        )
        assert "“Least privilege - Northwind” was not approved:" in page
        assert f"{other_admin.username} approved the admin relationship" in page
        least_privilege.refresh_from_db()
        assert least_privilege.approved_by == other_admin
        assert AuditEvent.objects.filter(action=AuditAction.ADMIN_APPROVED).count() == 2

    def test_it_rejects_get(self, client_for, customer_admin, partner_a, two_waiting):
        assert client_for(customer_admin).get(approve_url(partner_a)).status_code == 405


class TestDecline:
    def test_a_row_asks_first_then_declines_that_request(
        self, client_for, customer_admin, partner_a, two_waiting, helpdesk_tier
    ):
        client = client_for(customer_admin)
        response = client.get(decline_url(partner_a), ids(helpdesk_tier))
        assert response.status_code == 200
        page = text(response)
        assert "<h1>Decline Contoso Partners' request for admin roles?</h1>" in page
        assert "<strong>Helpdesk tier - Northwind</strong>" in page
        assert "Least privilege" not in page
        assert status_of(helpdesk_tier) == AdminRelationshipStatus.APPROVAL_PENDING
        response = client.post(decline_url(partner_a), ids(helpdesk_tier), follow=True)
        assert "You declined 1 admin relationship request from Contoso Partners" in text(response)
        assert status_of(helpdesk_tier) == AdminRelationshipStatus.DECLINED
        assert status_of(two_waiting[0]) == AdminRelationshipStatus.APPROVAL_PENDING
        assert not AccessAssignment.objects.exists()

    def test_decline_all_declines_each_shown(
        self, client_for, customer_admin, partner_a, two_waiting
    ):
        client = client_for(customer_admin)
        page = text(client.get(decline_url(partner_a), ids(*two_waiting)))
        assert "<h1>Decline 2 admin relationship requests from Contoso Partners?</h1>" in page
        assert "Decline 2 requests</button>" in page
        page = text(client.post(decline_url(partner_a), ids(*two_waiting), follow=True))
        assert "You declined 2 admin relationship requests from Contoso Partners" in page
        assert all(status_of(r) == AdminRelationshipStatus.DECLINED for r in two_waiting)
        assert AuditEvent.objects.filter(action=AuditAction.ADMIN_DECLINED).count() == 2

    def test_nothing_left_to_decline_goes_back(
        self, client_for, customer_admin, partner_a, admin_agent, least_privilege
    ):
        services.admin_relationship_withdraw(relationship=least_privilege, withdrawn_by=admin_agent)
        client = client_for(customer_admin)
        response = client.get(decline_url(partner_a), ids(least_privilege), follow=True)
        assert "None of these requests is waiting for an answer any more." in text(response)


class TestWhoseData:
    def test_it_404s_for_a_partner_without_relationships_here(
        self, client_for, customer_admin, partner_b, two_waiting
    ):
        waiting(partner_b, CustomerFactory(), "Someone else's")
        client = client_for(customer_admin)
        assert client.get(page_url(partner_b)).status_code == 404
        assert client.post(approve_url(partner_b), ids(*two_waiting)).status_code == 404

    def test_it_404s_for_another_organization(self, client_for, partner_a, two_waiting):
        outsider = member(CustomerFactory(name="Fabrikam"), Role.CUSTOMER_GLOBAL_ADMIN)
        client = client_for(outsider)
        assert client.get(page_url(partner_a)).status_code == 404
        assert client.post(approve_url(partner_a), ids(*two_waiting)).status_code == 404
        assert client.get(decline_url(partner_a), ids(*two_waiting)).status_code == 404
        assert all(status_of(r) == AdminRelationshipStatus.APPROVAL_PENDING for r in two_waiting)

    def test_requests_of_another_partner_or_organization_are_never_answered(
        self, client_for, customer_admin, customer, partner_a, partner_b, two_waiting
    ):
        foreign = [
            waiting(partner_b, customer, "Another partner's"),
            waiting(partner_a, CustomerFactory(), "Another organization's"),
            # A request "for any customer" is answered from its link only.
            waiting(partner_a, None, "For any organization"),
        ]
        client = client_for(customer_admin)
        for relationship in foreign:
            posted = ids(two_waiting[0], relationship)
            assert client.post(approve_url(partner_a), posted).status_code == 404
            assert client.post(decline_url(partner_a), posted).status_code == 404
        assert all(status_of(r) == AdminRelationshipStatus.APPROVAL_PENDING for r in foreign)
        assert status_of(two_waiting[0]) == AdminRelationshipStatus.APPROVAL_PENDING

    def test_a_mangled_id_is_a_404(self, client_for, customer_admin, partner_a, two_waiting):
        client = client_for(customer_admin)
        assert client.post(approve_url(partner_a), {"request": "nope"}).status_code == 404


class TestWhoMayAnswer:
    @pytest.mark.parametrize("persona", ["customer_billing_admin", "customer_user"])
    def test_others_than_global_administrators_get_the_single_pages_refusal(
        self, request, persona, client_for, partner_a, two_waiting
    ):
        client = client_for(request.getfixturevalue(persona))
        response = client.get(page_url(partner_a))
        assert response.status_code == 403
        page = text(response)
        assert "Your role can't approve admin roles" in page
        assert (
            "Only Global administrators and Delegated Admin Relationship Administrators can "
            "approve or decline"
        ) in page
        assert "Forward the partner's email to someone in Northwind Traders who can" in page
        assert "Least privilege" not in page
        assert client.post(approve_url(partner_a), ids(*two_waiting)).status_code == 403
        assert client.post(decline_url(partner_a), ids(*two_waiting)).status_code == 403
        assert client.get(decline_url(partner_a), ids(*two_waiting)).status_code == 403
        assert all(status_of(r) == AdminRelationshipStatus.APPROVAL_PENDING for r in two_waiting)

    def test_a_partners_agent_gets_403(self, client_for, admin_agent, partner_a, two_waiting):
        assert client_for(admin_agent).get(page_url(partner_a)).status_code == 403

    def test_signed_out_visitors_sign_in_first(self, client, partner_a, two_waiting):
        response = client.get(page_url(partner_a))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("sign-in"))


class TestLinks:
    def test_partner_relationships_links_to_the_partners_waiting_requests(
        self, client_for, customer_admin, customer_billing_admin, partner_a, two_waiting
    ):
        page = text(client_for(customer_admin).get(reverse("admin_center:partner-relationships")))
        assert f'href="{page_url(partner_a)}"' in page
        assert (
            'Review 2 pending requests<span class="visually-hidden"> from Contoso Partners</span>'
        ) in page
        billing = client_for(customer_billing_admin)
        page = text(billing.get(reverse("admin_center:partner-relationships")))
        assert page_url(partner_a) not in page

    def test_partner_relationships_offers_no_link_without_waiting_requests(
        self, client_for, customer_admin, customer, partner_a
    ):
        AdminRelationshipFactory(partner=partner_a, customer=customer)
        page = text(client_for(customer_admin).get(reverse("admin_center:partner-relationships")))
        assert page_url(partner_a) not in page

    def test_the_single_pages_link_counts_the_partners_waiting_requests(
        self, client_for, customer_admin, partner_a, two_waiting
    ):
        response = client_for(customer_admin).get(page_url(partner_a))
        assert pending_together(response.wsgi_request, two_waiting[0]) == {
            "waiting_from_partner": 2,
            "waiting_url": page_url(partner_a),
        }

    def test_the_single_request_page_links_to_them_when_several_wait(
        self, client_for, customer_admin, partner_a, two_waiting, least_privilege
    ):
        client = client_for(customer_admin)
        opened = reverse("admin_center:gdap-open", args=[least_privilege.pk])
        token = factory_admin_token(least_privilege)
        client.get(f"{opened}?{urlencode({'token': token})}")
        page = text(client.get(reverse("admin_center:gdap-request", args=[least_privilege.pk])))
        assert "Contoso Partners has 2 admin relationship requests waiting" in page
        assert f'<a href="{page_url(partner_a)}">Review them together</a>' in page


def test_an_organization_opening_it_in_the_other_clouds_portal_is_sent_to_its_own(
    client_for, customer_admin, partner_a, two_waiting
):
    response = client_for(customer_admin).get(page_url(partner_a, portal="office_admin"))
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("admin_center:home"))
