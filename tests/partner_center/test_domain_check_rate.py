"""The domain availability check is rate-limited per user, in the shared cache."""

import pytest
from django.urls import reverse

from tenancy.web.throttle import DOMAIN_CHECK_RATE

pytestmark = pytest.mark.django_db
CHECK = reverse("partner_center:domain-check")


def test_the_domain_check_answers_429_past_its_rate(client_for, sales_agent, admin_agent):
    client = client_for(sales_agent)
    for _ in range(DOMAIN_CHECK_RATE["limit"]):
        assert client.get(CHECK, {"prefix": "fourthcoffee"}).status_code == 200
    refused = client.get(CHECK, {"prefix": "fourthcoffee"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= DOMAIN_CHECK_RATE["per"]
    assert refused.json()["message"].startswith("Too many checks. Try again in")
    # Another agent has their own count.
    assert client_for(admin_agent).get(CHECK, {"prefix": "fourthcoffee"}).status_code == 200
