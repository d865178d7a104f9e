"""Second factors: enrolment, the second step of sign-in, recovery codes, MFA_REQUIRED, and a
Global admin's view and reset of their users' methods."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy.models import AuditAction, AuditEvent, Role
from tests.factories import CustomerFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, *, step_offset: int = 0) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=step_offset):06d}"


def authenticator_for(user, *, recovery_codes=("aaaabbbb", "ccccdddd")) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    if recovery_codes:
        static = StaticDevice.objects.create(user=user, name="Recovery codes")
        for code in recovery_codes:
            StaticToken.objects.create(device=static, token=code)
    return device


def sign_in(client, user, password, **extra):
    return client.post(
        reverse("sign-in"), {"username": user.username, "password": password}, **extra
    )


class TestEnrolment:
    def test_an_agent_sets_up_an_authenticator_app_and_sees_recovery_codes_once(
        self, client_for, sales_agent
    ):
        client = client_for(sales_agent)
        page = client.get(reverse("authenticator-add"))
        assert page.status_code == 200
        device = TOTPDevice.objects.get(user=sales_agent, confirmed=False)
        assert page.context["manual_key"].replace(" ", "") in device.config_url
        assert b"<svg" in page.content  # the QR code, inline

        wrong = client.post(reverse("authenticator-add"), {"code": "000000"})
        assert "That code didn&#x27;t work" in wrong.content.decode()
        assert not TOTPDevice.objects.filter(user=sales_agent, confirmed=True).exists()

        device.throttle_reset()
        # The codes come in the answer to the code that confirmed the app.
        done = client.post(reverse("authenticator-add"), {"code": code_for(device)})
        assert done.status_code == 200
        assert b"Recovery codes" in done.content
        codes = done.context["codes"]
        assert len(codes) == 10
        assert StaticToken.objects.filter(device__user=sales_agent).count() == 10
        assert TOTPDevice.objects.get(pk=device.pk).confirmed
        # Shown once.
        again = client.get(reverse("recovery-codes"))
        assert again.context["codes"] is None
        assert codes[0] not in again.content.decode()
        assert b"10 unused recovery codes" in again.content
        actions = list(
            AuditEvent.objects.filter(actor=sales_agent).values_list("action", flat=True)
        )
        assert AuditAction.MFA_ADDED in actions
        assert AuditAction.RECOVERY_CODES_MADE in actions

    def test_reloading_the_setup_page_keeps_the_same_key(self, client_for, sales_agent):
        client = client_for(sales_agent)
        first = client.get(reverse("authenticator-add")).context["manual_key"]
        second = client.get(reverse("authenticator-add")).context["manual_key"]
        assert first == second
        assert TOTPDevice.objects.filter(user=sales_agent).count() == 1

    def test_new_recovery_codes_replace_the_old_ones(self, client_for, sales_agent):
        client = client_for(sales_agent)
        authenticator_for(sales_agent)
        response = client.post(reverse("recovery-codes"), follow=True)
        codes = [code.replace("-", "") for code in response.context["codes"]]
        tokens = set(StaticToken.objects.filter(device__user=sales_agent).values_list("token"))
        assert tokens == {(code,) for code in codes}
        assert ("aaaabbbb",) not in tokens

    def test_removing_the_last_method_takes_the_recovery_codes_with_it(
        self, client_for, sales_agent
    ):
        client = client_for(sales_agent)
        device = authenticator_for(sales_agent)
        response = client.post(
            reverse("sign-in-method-remove", args=["authenticator", device.pk]), follow=True
        )
        assert b"Authenticator app removed." in response.content
        assert not TOTPDevice.objects.filter(user=sales_agent).exists()
        assert not StaticDevice.objects.filter(user=sales_agent).exists()
        assert AuditEvent.objects.filter(actor=sales_agent, action=AuditAction.MFA_REMOVED).exists()

    def test_nobody_removes_another_users_method(self, client_for, sales_agent, admin_agent):
        device = authenticator_for(admin_agent)
        client_for(sales_agent).post(
            reverse("sign-in-method-remove", args=["authenticator", device.pk])
        )
        assert TOTPDevice.objects.filter(pk=device.pk).exists()


class TestSecondStep:
    def test_the_password_alone_opens_nothing_until_the_code_is_given(
        self, client, sales_agent, password
    ):
        device = authenticator_for(sales_agent)
        response = sign_in(client, sales_agent, password, follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("sign-in-verify"))
        assert b"Verify your identity" in response.content
        customers = client.get(reverse("partner_center:customer-list"))
        assert customers.status_code == 302
        assert customers["Location"].startswith(reverse("sign-in-verify"))

        wrong = client.post(reverse("sign-in-verify"), {"method": "app", "code": "123456"})
        assert "That code didn&#x27;t work" in wrong.content.decode()
        assert client.get(reverse("partner_center:customer-list")).status_code == 302

        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        right = client.post(
            reverse("sign-in-verify"),
            {"method": "app", "code": code_for(device), "next": "/partner-center/customers/"},
        )
        assert right["Location"] == "/partner-center/customers/"
        assert client.get(reverse("partner_center:customer-list")).status_code == 200
        assert AuditEvent.objects.filter(
            actor=sales_agent, action=AuditAction.MFA_VERIFIED
        ).exists()

    def test_the_page_asked_for_first_is_opened_after_the_code(self, client, sales_agent, password):
        device = authenticator_for(sales_agent)
        sign_in(client, sales_agent, password)
        bounced = client.get(reverse("partner_center:request-list"))
        verify_url = bounced["Location"]
        assert "next=%2Fpartner-center%2Fcustomers%2Frequests%2F" in verify_url
        response = client.post(verify_url, {"method": "app", "code": code_for(device)})
        assert response["Location"] == reverse("partner_center:request-list")

    def test_wrong_codes_are_slowed_down(self, client, sales_agent, password):
        device = authenticator_for(sales_agent)
        sign_in(client, sales_agent, password)
        client.post(reverse("sign-in-verify"), {"method": "app", "code": "000000"})
        # Straight after a wrong code even the right one waits: the device says how long.
        response = client.post(
            reverse("sign-in-verify"), {"method": "app", "code": code_for(device)}
        )
        assert b"Too many wrong codes. Try again in" in response.content
        assert client.get(reverse("partner_center:customer-list")).status_code == 302

    def test_a_recovery_code_works_once(self, client, sales_agent, password):
        authenticator_for(sales_agent)
        sign_in(client, sales_agent, password)
        response = client.post(
            reverse("sign-in-verify"), {"method": "recovery", "code": "AAAA-BBBB"}, follow=True
        )
        assert b"You signed in with a recovery code; 1 left." in response.content
        assert client.get(reverse("partner_center:customer-list")).status_code == 200
        assert AuditEvent.objects.filter(action=AuditAction.RECOVERY_CODE_USED).count() == 1

        client.post(reverse("sign-out"))
        time.sleep(1.1)  # past the one-second wait the earlier code's device may ask
        sign_in(client, sales_agent, password)
        again = client.post(reverse("sign-in-verify"), {"method": "recovery", "code": "aaaabbbb"})
        assert "That recovery code didn&#x27;t work" in again.content.decode()
        assert client.get(reverse("partner_center:customer-list")).status_code == 302

    def test_a_user_without_a_second_factor_signs_in_with_the_password(
        self, client, sales_agent, password
    ):
        response = sign_in(client, sales_agent, password)
        assert response["Location"] == reverse("home")
        assert client.get(reverse("partner_center:customer-list")).status_code == 200


class TestRequired:
    @pytest.fixture(autouse=True)
    def required(self, settings):
        settings.MFA_REQUIRED = True

    @pytest.mark.parametrize(
        "page",
        [
            reverse("partner_center:customer-list"),
            reverse("partner_center:new-relationship"),
            reverse("home"),
            "/operators/",
        ],
    )
    def test_a_user_without_a_factor_is_sent_to_set_one_up(
        self, client, sales_agent, password, page
    ):
        sign_in(client, sales_agent, password)
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("security-info"))

    def test_posts_elsewhere_are_refused_too(self, client, sales_agent, password):
        sign_in(client, sales_agent, password)
        response = client.post(reverse("partner_center:new-relationship"), {})
        assert response.status_code == 302
        assert response["Location"] == reverse("security-info")

    def test_after_setting_one_up_the_portal_opens(self, client, sales_agent, password):
        sign_in(client, sales_agent, password)
        page = client.get(reverse("security-info"))
        assert b"Your organization requires a second way to sign in" in page.content
        client.get(reverse("authenticator-add"))
        device = TOTPDevice.objects.get(user=sales_agent)
        client.post(reverse("authenticator-add"), {"code": code_for(device)})
        assert client.get(reverse("partner_center:customer-list")).status_code == 200

    def test_a_user_with_a_factor_still_gives_it_first(self, client, sales_agent, password):
        authenticator_for(sales_agent)
        sign_in(client, sales_agent, password)
        response = client.get(reverse("security-info"))
        assert response["Location"].startswith(reverse("sign-in-verify"))


class TestUsersPages:
    def test_a_global_admin_sees_who_has_enrolled(
        self, client_for, partner_global_admin, sales_agent, admin_agent, django_assert_num_queries
    ):
        authenticator_for(sales_agent)
        client = client_for(partner_global_admin)
        response = client.get(reverse("partner_center:user-list"))
        content = response.content.decode()
        assert "1 of 3 users has a second sign-in method." in content
        rows = {member.user.username: methods for member, methods in response.context["rows"]}
        assert rows[sales_agent.username].summary == "Authenticator app"
        assert rows[admin_agent.username].summary == "Not enrolled"

    def test_the_page_costs_the_same_queries_for_more_users(
        self, client_for, partner_global_admin, partner_a, django_assert_num_queries
    ):
        client = client_for(partner_global_admin)
        authenticator_for(member(partner_a, Role.SALES_AGENT, username="first@contoso.example"))
        # Session; user with membership; the members with their roles; three kinds of methods
        # and the recovery codes.
        with django_assert_num_queries(8):
            client.get(reverse("partner_center:user-list"))
        for n in range(5):
            user = member(partner_a, Role.SALES_AGENT, username=f"agent{n}@contoso.example")
            authenticator_for(user)
        with django_assert_num_queries(8):
            client.get(reverse("partner_center:user-list"))

    def test_a_reset_removes_every_method_and_is_audited(
        self, client_for, partner_global_admin, sales_agent, partner_a
    ):
        authenticator_for(sales_agent)
        client = client_for(partner_global_admin)
        membership = sales_agent.membership
        url = reverse("partner_center:user-reset-sign-in", args=[membership.pk])
        confirm = client.get(url)
        assert b"Reset sign-in methods for sales@contosopartners" in confirm.content
        response = client.post(url, follow=True)
        assert b"Sign-in methods reset for sales@contosopartners.onmicrosoft.com" in (
            response.content
        )
        assert not TOTPDevice.objects.filter(user=sales_agent).exists()
        assert not StaticDevice.objects.filter(user=sales_agent).exists()
        event = AuditEvent.objects.get(action=AuditAction.MFA_RESET)
        assert event.actor == partner_global_admin
        assert event.partner == partner_a
        assert event.details == {"user": sales_agent.username, "removed": "Authenticator app"}

    def test_the_reset_users_session_loses_its_second_factor(
        self, client, client_for, partner_global_admin, sales_agent, password, settings
    ):
        device = authenticator_for(sales_agent)
        sign_in(client, sales_agent, password)
        client.post(reverse("sign-in-verify"), {"method": "app", "code": code_for(device)})
        assert client.get(reverse("partner_center:customer-list")).wsgi_request.user.is_verified()
        client_for(partner_global_admin).post(
            reverse("partner_center:user-reset-sign-in", args=[sales_agent.membership.pk])
        )
        assert not client.get(reverse("home")).wsgi_request.user.is_verified()
        settings.MFA_REQUIRED = True
        response = client.get(reverse("partner_center:customer-list"))
        assert response["Location"].startswith(reverse("security-info"))

    def test_only_a_global_admin_opens_the_page(self, client_for, admin_agent, sales_agent):
        client = client_for(admin_agent)
        assert client.get(reverse("partner_center:user-list")).status_code == 403
        url = reverse("partner_center:user-reset-sign-in", args=[sales_agent.membership.pk])
        authenticator_for(sales_agent)
        assert client.post(url).status_code == 403
        assert TOTPDevice.objects.filter(user=sales_agent).exists()

    def test_another_organizations_user_is_a_404(
        self, client_for, partner_global_admin, agent_b, customer_admin
    ):
        authenticator_for(agent_b)
        client = client_for(partner_global_admin)
        for target in (agent_b, customer_admin):
            url = reverse("partner_center:user-reset-sign-in", args=[target.membership.pk])
            assert client.post(url).status_code == 404
        assert TOTPDevice.objects.filter(user=agent_b).exists()

    def test_a_global_admin_resets_their_own_methods_in_security_info(
        self, client_for, partner_global_admin
    ):
        client = client_for(partner_global_admin)
        authenticator_for(partner_global_admin)
        url = reverse(
            "partner_center:user-reset-sign-in", args=[partner_global_admin.membership.pk]
        )
        response = client.post(url, follow=True)
        assert b"To change your own sign-in methods, open Security info." in response.content
        assert TOTPDevice.objects.filter(user=partner_global_admin).exists()

    def test_a_customer_global_administrator_resets_a_user_in_active_users(
        self, client_for, customer_admin, customer_billing_admin, customer
    ):
        authenticator_for(customer_billing_admin)
        client = client_for(customer_admin)
        page = client.get(reverse("admin_center:users"))
        assert b"1 of 2 users has a second sign-in method." in page.content
        url = reverse(
            "admin_center:user-reset-sign-in", args=[customer_billing_admin.membership.pk]
        )
        client.post(url)
        assert not TOTPDevice.objects.filter(user=customer_billing_admin).exists()
        assert AuditEvent.objects.get(action=AuditAction.MFA_RESET).customer == customer

    def test_a_billing_administrator_may_not(self, client_for, customer_billing_admin):
        response = client_for(customer_billing_admin).get(reverse("admin_center:users"))
        assert response.status_code == 403

    def test_another_customers_user_is_a_404(self, client_for, customer_admin):
        other = CustomerFactory(name="Tailspin Toys")
        stranger = member(other, Role.CUSTOMER_USER, username="user@tailspin.example")
        authenticator_for(stranger)
        url = reverse("admin_center:user-reset-sign-in", args=[stranger.membership.pk])
        assert client_for(customer_admin).post(url).status_code == 404


class TestOperatorsConsole:
    """In production (OPERATORS_MFA_REQUIRED, on unless DEBUG is) an operator opens the console
    only with a second factor given, whatever MFA_REQUIRED says for partners and customers."""

    @pytest.fixture(autouse=True)
    def production(self, settings):
        settings.MFA_REQUIRED = False
        settings.OPERATORS_MFA_REQUIRED = True

    @pytest.fixture
    def operator_user(self, db):
        return UserFactory(username="operator@example.com", is_staff=True, is_superuser=True)

    @pytest.mark.parametrize(
        "page", ["/operators/", reverse("admin:tenancy_tenant_changelist"), "/operators/login/"]
    )
    def test_an_operator_without_a_factor_is_sent_to_set_one_up(
        self, client, operator_user, password, page
    ):
        sign_in(client, operator_user, password)
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('security-info')}?{urlencode({'next': page})}"

    def test_signing_in_on_the_consoles_own_page_leads_to_the_setup_too(
        self, client, operator_user, password
    ):
        response = client.post(
            reverse("admin:login"),
            {"username": operator_user.username, "password": password, "next": "/operators/"},
            follow=True,
        )
        assert response.redirect_chain[-1][0].startswith(reverse("security-info"))
        assert client.post(reverse("admin:tenancy_tenant_changelist")).status_code == 302

    def test_after_setting_one_up_the_console_opens(self, client, operator_user, password):
        sign_in(client, operator_user, password)
        client.get(reverse("authenticator-add"))
        device = TOTPDevice.objects.get(user=operator_user)
        client.post(reverse("authenticator-add"), {"code": code_for(device)})
        assert client.get("/operators/").status_code == 200

    def test_an_operator_with_a_factor_gives_it_then_the_console_opens(
        self, client, operator_user, password
    ):
        device = authenticator_for(operator_user)
        sign_in(client, operator_user, password)
        bounced = client.get("/operators/")
        assert bounced["Location"].startswith(reverse("sign-in-verify"))
        answer = client.post(bounced["Location"], {"method": "app", "code": code_for(device)})
        assert answer["Location"] == "/operators/"
        assert client.get("/operators/").status_code == 200
        assert client.get(reverse("admin:tenancy_tenant_changelist")).status_code == 200

    def test_the_portals_ask_nothing_more_of_an_operator(self, client, operator_user, password):
        sign_in(client, operator_user, password)
        assert client.get(reverse("security-info")).status_code == 200

    def test_a_portal_user_is_not_sent_to_set_one_up(self, client, sales_agent, password):
        sign_in(client, sales_agent, password)
        assert client.get(reverse("partner_center:customer-list")).status_code == 200
        console = client.get("/operators/")
        assert console["Location"].startswith(reverse("admin:login")), "not an operator"

    def test_with_the_development_value_the_console_opens_without_one(
        self, settings, client, operator_user, password
    ):
        settings.OPERATORS_MFA_REQUIRED = False
        sign_in(client, operator_user, password)
        assert client.get("/operators/").status_code == 200


@pytest.mark.parametrize(("debug", "required"), [("false", "True"), ("true", "False")])
def test_the_console_asks_for_a_second_factor_unless_debug_is_on(debug, required):
    root = Path(__file__).resolve().parents[2]
    setting = subprocess.run(
        [
            sys.executable,
            "-c",
            "from config.settings import base; print(base.OPERATORS_MFA_REQUIRED)",
        ],
        cwd=root,
        env={"PATH": os.environ.get("PATH", ""), "DEBUG": debug, "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert setting.stdout.strip() == required, setting.stderr


class TestAccountAudit:
    def test_sign_in_and_sign_out_are_audited(self, client, sales_agent, password, partner_a):
        sign_in(client, sales_agent, password)
        client.post(reverse("sign-out"))
        events = AuditEvent.objects.filter(actor=sales_agent).order_by("id")
        assert [e.action for e in events] == [AuditAction.SIGNED_IN, AuditAction.SIGNED_OUT]
        # For operators: not in the partner's Activity log, where they'd bury everything else.
        assert events[0].actor_tenant == partner_a
        assert events[0].partner is None

    def test_a_password_change_is_audited(self, client_for, sales_agent, password):
        client_for(sales_agent).post(
            reverse("password-change"),
            {
                "old_password": password,
                "new_password1": "a new long passphrase 42",
                "new_password2": "a new long passphrase 42",
            },
        )
        assert AuditEvent.objects.filter(
            actor=sales_agent, action=AuditAction.PASSWORD_CHANGED
        ).exists()


def test_operators_see_sign_in_methods_but_cannot_remove_them(admin_client, sales_agent):
    device = authenticator_for(sales_agent)
    listing = admin_client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert sales_agent.username in listing.content.decode()
    delete = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
