"""A thousand customers at once, in the browser: an Admin agent makes a template with two group
mappings, selects all 60 customers a Customer list search matches, previews (who gets a request,
who is skipped and why), starts the job and sees it done; one customer's Global administrator
approves; an agent of a mapped group acts in that customer at once, with no assignment made by
hand."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenancy.effects.customer_list import customer_list_rebuild
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    BulkJob,
    Cloud,
    Offer,
    ResellerRelationship,
    Role,
    SecurityGroupMember,
    Subscription,
)
from tests.factories import (
    PASSWORD,
    AgreementAcceptanceFactory,
    PartnerFactory,
    SecurityGroupFactory,
    SubscriptionFactory,
    make_customers,
    member,
)

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_AGENT = "admin-agent@contosopartners.onmicrosoft.com"
TIER_ONE = "sales-tier1@contosopartners.onmicrosoft.com"
CUSTOMER_GA = "admin@alpine000.onmicrosoft.com"


@pytest.fixture
def world(site):
    partner = PartnerFactory(name="Contoso Partners", country_id="US")
    member(partner, Role.ADMIN_AGENT, username=ADMIN_AGENT)
    agent = member(partner, Role.SALES_AGENT, username=TIER_ONE)
    tier_one = SecurityGroupFactory(partner=partner, name="Helpdesk – tier 1")
    SecurityGroupMember.objects.create(group=tier_one, membership=agent.membership)
    readers = SecurityGroupFactory(partner=partner, name="Directory readers")
    SecurityGroupMember.objects.create(
        group=readers, membership=member(partner, Role.SALES_AGENT).membership
    )
    # 60 customers match "Alpine": 57 get a request; two whose reseller relationship ended and
    # one in another cloud are skipped. Five "Baker" customers don't match.
    alpine = make_customers(partner, 60, country_id="US")
    for n, customer in enumerate(alpine):
        customer.name = f"Alpine {n:03d}"
        customer.domain = f"alpine{n:03d}.onmicrosoft.com"
    alpine[59].cloud = Cloud.USGOV
    for customer in alpine:
        customer.save(update_fields=["name", "domain", "cloud"])
    make_customers(partner, 5, country_id="US")
    ended = ResellerRelationship.objects.filter(customer__in=alpine[57:59])
    ended.update(ended_at=timezone.now())
    customer_list_rebuild(partner=partner)
    first = alpine[0]
    member(first, Role.CUSTOMER_GLOBAL_ADMIN, username=CUSTOMER_GA)
    AgreementAcceptanceFactory(customer=first)
    subscription = SubscriptionFactory(
        partner=partner,
        customer=first,
        offer=Offer.objects.get(code="microsoft-365-e3"),
        quantity=10,
    )
    return {"partner": partner, "first": first, "subscription": subscription}


def test_template_select_all_preview_start_approve_and_act(page, world, sign_in, sign_out, axe):
    # The Admin agent makes a template with two group mappings.
    sign_in(ADMIN_AGENT, PASSWORD)
    page.get_by_role("link", name="Admin relationships").first.click()
    page.get_by_role("navigation", name="Admin relationships").get_by_role(
        "link", name="Templates"
    ).click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Template name").fill("Helpdesk tier")
    page.get_by_label("Duration in days").fill("365")
    roles = page.get_by_role("group", name="Select Microsoft Entra roles")
    roles.get_by_label("License Administrator", exact=True).check()
    roles.get_by_label("Directory Readers", exact=True).check()
    page.get_by_text("Helpdesk – tier 1", exact=True).click()  # opens the group's roles
    tier = page.get_by_role("group", name="Roles for Helpdesk – tier 1")
    tier.get_by_label("License Administrator", exact=True).check()
    # Only the template's roles are offered to a group.
    expect(tier.get_by_label("Global Administrator", exact=True)).to_be_hidden()
    page.get_by_text("Directory readers", exact=True).click()
    page.get_by_role("group", name="Roles for Directory readers").get_by_label(
        "Directory Readers", exact=True
    ).check()
    axe.check("new template")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name="Helpdesk tier")).to_be_visible()
    given = page.get_by_role("region", name="Given on approval")
    expect(given.get_by_role("row", name="Helpdesk – tier 1")).to_contain_text(
        "License Administrator"
    )

    # The Customer list's search, then Select all that match.
    page.get_by_role("link", name="Customer list").click()
    page.get_by_label("Search").fill("Alpine")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("60 customers", exact=True)).to_be_visible()
    page.get_by_role("button", name="Select all 60 customers that match").click()
    expect(page.get_by_role("heading", name="Request admin relationships in bulk")).to_be_visible()
    page.get_by_label("Template").select_option(label="Helpdesk tier")
    page.get_by_role("button", name="Preview").click()

    # The preview: who gets a request, who is skipped and why.
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("57 customers get a request")
    expect(preview.get_by_role("row", name="No longer your customer")).to_contain_text("2")
    expect(preview.get_by_role("row", name="The customer is in another cloud")).to_contain_text("1")
    axe.check("bulk request preview")
    page.get_by_role("button", name="Start: request 57 admin relationships").click()

    # The job's page: the progress reaches done; its results.
    expect(page.get_by_text("60 of 60")).to_be_visible()
    expect(page.get_by_role("region", name="Progress")).to_contain_text("Done")
    expect(page.get_by_role("row", name="Alpine 000")).to_contain_text("Link to the request")
    axe.check("bulk job")
    job = BulkJob.objects.get()
    assert (job.succeeded, job.skipped, job.failed) == (57, 3, 0)
    assert (
        AdminRelationship.objects.filter(template_version__template__name="Helpdesk tier").count()
        == 57
    )
    sign_out()

    # The first customer's Global administrator approves in the admin center.
    sign_in(CUSTOMER_GA, PASSWORD)
    page.goto(page.url.split("/admin-center/")[0] + "/admin-center/settings/partner-relationships/")
    page.get_by_role("link", name="Review 1 pending request").click()
    expect(
        page.get_by_role("heading", name="Pending requests from Contoso Partners")
    ).to_be_visible()
    page.get_by_role("button", name="Approve").first.click()
    expect(page.get_by_text("approved", exact=False).first).to_be_visible()
    sign_out()
    assigned = AccessAssignment.objects.filter(relationship__customer=world["first"])
    assert sorted(assigned.values_list("group__name", "state")) == [
        ("Directory readers", "active"),
        ("Helpdesk – tier 1", "active"),
    ]

    # An agent of the mapped group changes the customer's subscription, at once.
    sign_in(TIER_ONE, PASSWORD)
    page.get_by_label("Search").fill("Alpine 000")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name="Alpine 000").click()
    row = page.get_by_role("row", name="Microsoft 365 E3")
    row.get_by_label("New quantity of Microsoft 365 E3").fill("25")
    row.get_by_role("button", name="Change quantity").click()
    expect(page.get_by_text("Microsoft 365 E3 was updated")).to_be_visible()
    assert Subscription.objects.get(pk=world["subscription"].pk).quantity == 25
