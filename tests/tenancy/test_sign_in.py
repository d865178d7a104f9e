import pytest
from django.urls import reverse

from tenancy.models import Cloud, Role
from tests.factories import CustomerFactory, member

pytestmark = pytest.mark.django_db


def sign_in(client, user, password, next_url=None):
    data = {"username": user.username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("sign-in"), data, follow=True)


def test_the_sign_in_page_is_served(client):
    response = client.get(reverse("sign-in"))
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_a_partner_agent_lands_in_partner_center(client, sales_agent, password):
    response = sign_in(client, sales_agent, password)
    assert response.redirect_chain[-1][0] == reverse("partner_center:customer-list")
    assert b"Partner Center" in response.content
    assert b"Contoso Partners" in response.content


def test_a_customer_administrator_lands_in_the_microsoft_365_admin_center(
    client, customer_admin, password
):
    response = sign_in(client, customer_admin, password)
    assert response.redirect_chain[-1][0] == reverse("admin_center:home")
    assert b"Microsoft 365 admin center" in response.content
    assert b"Northwind Traders" in response.content


def test_a_us_government_customer_lands_in_the_office_admin_portal(client, password):
    gov = CustomerFactory(name="Springfield Public Works", cloud=Cloud.USGOV)
    admin = member(gov, Role.CUSTOMER_GLOBAL_ADMIN)
    response = sign_in(client, admin, password)
    assert response.redirect_chain[-1][0] == reverse(
        "admin_center:home", current_app="office_admin"
    )
    assert b"Microsoft Office Admin portal" in response.content
    assert b"Microsoft 365 admin center" not in response.content


def test_a_wrong_password_changes_nothing_and_says_so(client, sales_agent):
    response = client.post(
        reverse("sign-in"), {"username": sales_agent.username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"Please enter a correct" in response.content
    assert "_auth_user_id" not in client.session


def test_it_returns_to_a_local_next_path(client, customer_admin, password):
    target = reverse("admin_center:partner-relationships")
    response = sign_in(client, customer_admin, password, next_url=target)
    assert response.redirect_chain[0][0] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "\\\\evil.example",
        "http:evil.example",
        "javascript:alert(1)",
    ],
)
def test_it_never_redirects_off_site(client, customer_admin, password, target):
    response = sign_in(client, customer_admin, password, next_url=target)
    first_hop = response.redirect_chain[0][0]
    assert first_hop == reverse("home")


def test_the_sign_in_page_names_the_portal_of_the_next_page(client):
    response = client.get(
        reverse("sign-in"),
        {"next": reverse("admin_center:home", current_app="office_admin")},
    )
    assert b"Microsoft Office Admin portal" in response.content
    response = client.get(reverse("sign-in"), {"next": reverse("admin_center:home")})
    assert b"Microsoft 365 admin center" in response.content


def test_sign_out_is_a_post(client_for, sales_agent):
    client = client_for(sales_agent)
    assert client.get(reverse("sign-out")).status_code == 405
    response = client.post(reverse("sign-out"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_user_with_no_organization_is_told_so(client_for, django_user_model):
    lonely = django_user_model.objects.create_user("lonely", password="x")
    response = client_for(lonely).get(reverse("home"))
    assert response.status_code == 403
    assert b"no organization" in response.content


def test_anonymous_visitors_of_a_portal_are_sent_to_sign_in(client):
    response = client.get(reverse("partner_center:customer-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sign-in"))


class TestTemporaryPassword:
    @pytest.fixture
    def newcomer(self, customer):
        user = member(customer, Role.CUSTOMER_GLOBAL_ADMIN)
        user.membership.must_change_password = True
        user.membership.save()
        return user

    def test_every_page_leads_to_the_password_change_first(self, client_for, newcomer):
        response = client_for(newcomer).get(reverse("admin_center:home"))
        assert response.status_code == 302
        assert response["Location"] == reverse("password-change")

    def test_changing_it_lets_the_user_in(self, client_for, newcomer, password):
        client = client_for(newcomer)
        response = client.post(
            reverse("password-change"),
            {
                "old_password": password,
                "new_password1": "a-new-and-long-passphrase",
                "new_password2": "a-new-and-long-passphrase",
            },
            follow=True,
        )
        assert b"Your password was changed" in response.content
        newcomer.membership.refresh_from_db()
        assert not newcomer.membership.must_change_password
        assert client.get(reverse("admin_center:home")).status_code == 200
