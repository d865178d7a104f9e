"""Opening request links is rate-limited per user (or, signed out, per address), in the shared
cache: both kinds of link share one rate."""

import pytest

from tenancy.web.throttle import LINK_OPEN_RATE
from tests.admin_center.conftest import link_path

pytestmark = pytest.mark.django_db


def test_opening_request_links_answers_429_past_its_rate(client, invitation):
    for _ in range(LINK_OPEN_RATE["limit"]):
        assert client.get(link_path(invitation)).status_code == 302
    refused = client.get(link_path(invitation))
    assert refused.status_code == 429
    assert b"Too many requests" in refused.content
    assert b"Try again after" in refused.content
    assert int(refused["Retry-After"]) >= 1
    # Another address is not slowed down.
    assert client.get(link_path(invitation), REMOTE_ADDR="203.0.113.50").status_code == 302


def test_the_admin_relationship_link_shares_the_link_rate(client, invitation):
    for _ in range(LINK_OPEN_RATE["limit"]):
        client.get(link_path(invitation))
    response = client.get(
        "/admin-center/partners/invitation/granularAdminRelationships/"
        "6b2f0e2c-0000-4000-8000-000000000000?token=x"
    )
    assert response.status_code == 429
