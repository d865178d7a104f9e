"""tenancy.reversing.reverse: Django's reverse(), kept once a URL pattern; the same URLs."""

import uuid

import pytest
from django.test import override_settings
from django.urls import clear_script_prefix, set_script_prefix
from django.urls import reverse as django_reverse

from tenancy.portals import ADMIN_CENTER, OFFICE_ADMIN
from tenancy.reversing import reverse

ID = uuid.uuid4()
OTHER = uuid.uuid4()


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "current_app"),
    [
        ("partner_center:customer-list", (), None, None),
        ("partner_center:customer-detail", (ID,), None, None),
        ("partner_center:customer-detail", (OTHER,), None, None),
        ("partner_center:customer-detail", (str(ID),), None, None),
        ("partner_center:agent-access", (7,), None, None),
        ("partner_center:agent-access", (), {"membership_id": 8}, None),
        ("admin_center:gdap-open", (ID,), None, ADMIN_CENTER.namespace),
        ("admin_center:gdap-open", (ID,), None, OFFICE_ADMIN.namespace),
    ],
)
def test_it_gives_djangos_url(name, args, kwargs, current_app):
    for _ in range(2):  # worked out, then kept
        assert reverse(name, args, kwargs, current_app=current_app) == django_reverse(
            name, args=args or None, kwargs=kwargs, current_app=current_app
        )


def test_a_rows_link_has_its_own_id():
    first = reverse("partner_center:customer-detail", [ID])
    second = reverse("partner_center:customer-detail", [OTHER])
    assert str(ID) in first and str(OTHER) in second and first != second


def test_the_two_admin_portals_keep_their_own_links():
    center = reverse("admin_center:gdap-open", [ID], current_app=ADMIN_CENTER.namespace)
    office = reverse("admin_center:gdap-open", [ID], current_app=OFFICE_ADMIN.namespace)
    assert center != office


def test_a_script_prefix_is_honoured():
    plain = reverse("partner_center:customer-list")
    set_script_prefix("/portal/")
    try:
        assert reverse("partner_center:customer-list") == "/portal" + plain
    finally:
        clear_script_prefix()
        set_script_prefix("/")
    assert reverse("partner_center:customer-list") == plain


def test_another_urlconf_is_honoured():
    assert reverse("partner_center:customer-list")
    with override_settings(ROOT_URLCONF="bench.bare.urls"):
        assert reverse("bare") == "/"
