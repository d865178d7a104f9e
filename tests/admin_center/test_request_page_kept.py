"""The reseller request's page, kept whole for the customer's administrator under the stamp of
every value it shows (admin_center.views.partner_requests.ResellerRequestPages.shown,
tenancy.web.fragments.kept_whole_page): all of them are read before it, so rendering it asks
the database nothing more; a change to any of them shows on the next view; the checks that
guard answering it still run on every view; and its kept form still signs with a CSRF token."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tenancy.models import Invitation, InvitationStatus, ResellerRelationship, Role, Tenant
from tenancy.web import fragments
from tests.admin_center.conftest import SIGNER, accept_url, link_path, request_url
from tests.factories import member

pytestmark = pytest.mark.django_db

PAGE = "admin_center/invitation.html"


def rendered(response) -> set[str]:
    return {template.name for template in response.templates}


def test_asked_again_nothing_is_rendered_and_rendering_reads_nothing_more(
    opened, invitation, customer_admin
):
    client = opened(customer_admin, invitation)
    first = client.get(request_url(invitation))  # opened: recorded once
    assert PAGE in rendered(first)
    with CaptureQueriesContext(connection) as hit:
        again = client.get(request_url(invitation))
    assert not again.templates
    assert again.content.count(b"<li") == first.content.count(b"<li") > 0
    caches["fragments"].clear()
    with CaptureQueriesContext(connection) as miss:
        made = client.get(request_url(invitation))
    assert PAGE in rendered(made)
    # Everything the page shows was read before it: the render added no query.
    assert len(miss) == len(hit)


def test_a_change_to_anything_it_shows_shows_on_the_next_view(
    opened, invitation, customer_admin, customer, partner_a
):
    client = opened(customer_admin, invitation)
    client.get(request_url(invitation))
    changes = [
        (
            lambda: Tenant.objects.filter(pk=partner_a.pk).update(name="Contoso Renamed"),
            "Contoso Renamed",
        ),
        (
            lambda: (
                get_user_model().objects.filter(pk=customer_admin.pk).update(first_name="Zelda")
            ),
            'value="Zelda"',
        ),
        (
            lambda: Invitation.objects.filter(pk=invitation.pk).update(
                expires_at=timezone.now() + timedelta(days=3)
            ),
            (timezone.now() + timedelta(days=3)).strftime("%B %-d, %Y"),
        ),
        (
            lambda: Tenant.objects.filter(pk=customer.pk).update(address_line1=""),
            "First, add your organization",
        ),
    ]
    for change, seen in changes:
        assert seen not in client.get(request_url(invitation)).content.decode()
        change()
        assert seen in client.get(request_url(invitation)).content.decode(), seen
    with override_settings(CUSTOMER_AGREEMENT_VERSION="MCA 2030-01"):
        client.get(request_url(invitation))  # the address first, then the agreement
        Tenant.objects.filter(pk=customer.pk).update(address_line1="1 Main St")
        assert "MCA 2030-01" in client.get(request_url(invitation)).content.decode()


def test_the_checks_that_guard_answering_it_run_on_every_view(
    opened, invitation, reseller_only, customer_admin
):
    client = opened(customer_admin, invitation)
    assert client.get(request_url(invitation)).status_code == 200
    later = timezone.now() + timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.get(request_url(invitation))
    assert response.status_code >= 400 and b"Accept and authorize" not in response.content
    client = opened(customer_admin, reseller_only)
    assert client.get(request_url(reseller_only)).status_code == 200
    Invitation.objects.filter(pk=reseller_only.pk).update(
        status=InvitationStatus.REVOKED, revoked_at=timezone.now()
    )
    response = client.get(request_url(reseller_only))
    assert response.status_code >= 400 and b"Accept and authorize" not in response.content


def test_each_administrator_gets_their_own_page(opened, invitation, customer_admin, customer):
    other = member(customer, Role.CUSTOMER_GLOBAL_ADMIN, username="second@northwind.example")
    for _ in range(2):
        mine = opened(customer_admin, invitation).get(request_url(invitation)).content.decode()
        theirs = opened(other, invitation).get(request_url(invitation)).content.decode()
        assert f'value="{customer_admin.email}"' in mine
        assert f'value="{other.email}"' in theirs
        assert customer_admin.email not in theirs


def test_the_kept_pages_form_still_signs_and_accepts(invitation, customer_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer_admin)
    client.get(link_path(invitation))
    client.get(request_url(invitation))
    again = client.get(request_url(invitation))
    assert not again.templates
    html = again.content.decode()
    assert fragments._csrf_hole() not in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    answered = client.post(accept_url(invitation), {**SIGNER, "csrfmiddlewaretoken": token})
    assert answered.status_code == 302
    assert ResellerRelationship.objects.filter(partner=invitation.partner).exists()
    assert reverse("admin_center:partner-relationships") in answered["Location"]


def test_a_partner_named_like_markup_stays_escaped_and_each_language_has_its_own(
    opened, invitation, customer_admin, partner_a
):
    Tenant.objects.filter(pk=partner_a.pk).update(name="<script>alert('x')</script>")
    client = opened(customer_admin, invitation)
    for _ in range(2):
        page = client.get(request_url(invitation)).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page
        assert 'lang="en"' in page
    client.post(reverse("set-language"), {"language": "de"})
    assert 'lang="de"' in client.get(request_url(invitation)).content.decode()
