import pytest

from tenancy.models import HELPDESK_ADMINISTRATOR, Cloud, Country, Role, Tenant, TenantKind
from tenancy.rules import (
    ENTRA_ROLES_FOR,
    Action,
    CustomerTask,
    admin_permissions_required,
    admin_request_problems,
    assignment_problems,
    denial_message,
    may,
    may_manage_subscription,
    may_purchase,
    may_resell,
)


def tenant(kind: str, country: str, cloud: str = Cloud.PUBLIC, name: str = "") -> Tenant:
    """An unsaved tenant: the rules read only kind, country (and its market) and cloud."""
    return Tenant(
        kind=kind,
        name=name or f"{kind.title()} in {country}",
        country=Country.objects.select_related("market").get(code=country),
        cloud=cloud,
    )


@pytest.mark.django_db
class TestMayResell:
    @pytest.mark.parametrize(
        ("partner_country", "customer_country"),
        [("FR", "DE"), ("MX", "AR"), ("US", "US"), ("AU", "FJ"), ("NG", "KE"), ("SG", "VN")],
    )
    def test_it_allows_a_customer_in_the_partners_market(self, partner_country, customer_country):
        decision = may_resell(
            tenant(TenantKind.PARTNER, partner_country),
            tenant(TenantKind.CUSTOMER, customer_country),
        )
        assert decision.allowed, decision.reason

    @pytest.mark.parametrize(
        ("partner_country", "customer_country", "partner_name", "customer_name"),
        [
            ("US", "CA", "United States", "Canada"),
            ("BR", "AR", "Brazil", "Argentina"),
            ("US", "PR", "United States", "Puerto Rico"),
            ("DE", "TR", "Germany", "Türkiye"),
            ("JP", "KR", "Japan", "Korea"),
        ],
    )
    def test_it_refuses_another_market_naming_both_countries(
        self, partner_country, customer_country, partner_name, customer_name
    ):
        decision = may_resell(
            tenant(TenantKind.PARTNER, partner_country),
            tenant(TenantKind.CUSTOMER, customer_country),
        )
        assert not decision.allowed
        assert decision.code == "market"
        assert partner_name in decision.reason
        assert customer_name in decision.reason
        assert "own market" in decision.reason

    def test_it_names_the_multi_country_market(self):
        decision = may_resell(tenant(TenantKind.PARTNER, "US"), tenant(TenantKind.CUSTOMER, "PR"))
        assert "Latin America and Caribbean" in decision.reason

    @pytest.mark.parametrize(
        ("partner_cloud", "customer_cloud"),
        [(Cloud.PUBLIC, Cloud.USGOV), (Cloud.USGOV, Cloud.PUBLIC)],
    )
    def test_it_refuses_across_clouds_naming_both(self, partner_cloud, customer_cloud):
        decision = may_resell(
            tenant(TenantKind.PARTNER, "US", partner_cloud),
            tenant(TenantKind.CUSTOMER, "US", customer_cloud),
        )
        assert not decision.allowed
        assert decision.code == "cloud"
        assert "Microsoft Cloud for US Government" in decision.reason
        assert "Microsoft commercial cloud" in decision.reason

    def test_it_allows_within_us_government(self):
        assert may_resell(
            tenant(TenantKind.PARTNER, "US", Cloud.USGOV),
            tenant(TenantKind.CUSTOMER, "US", Cloud.USGOV),
        )

    def test_it_refuses_a_partner_as_customer(self):
        decision = may_resell(tenant(TenantKind.PARTNER, "US"), tenant(TenantKind.PARTNER, "US"))
        assert not decision.allowed
        assert decision.code == "not_customer"


# DESIGN.md §2, written out again independently of tenancy.rules.PERMISSIONS.
P_GA, P_AA, P_SA, P_HA, P_BA = (
    Role.GLOBAL_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
)
C_GA, C_BA, C_U = Role.CUSTOMER_GLOBAL_ADMIN, Role.CUSTOMER_BILLING_ADMIN, Role.CUSTOMER_USER
C_DA = Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN
DESIGN_TABLE = {
    Action.VIEW_CUSTOMERS: {P_AA, P_SA, P_HA, P_GA},
    Action.REQUEST_RELATIONSHIP: {P_AA, P_SA},
    Action.ADD_CUSTOMER: {P_GA, P_AA, P_SA},
    Action.REVOKE_REQUEST: {P_AA, P_SA},
    Action.PURCHASE: {P_AA, P_SA},
    Action.REMOVE_RESELLER: {P_GA},
    Action.VIEW_ACTIVITY: {P_GA, P_AA},
    Action.ACCEPT_RESELLER: {C_GA, C_BA},
    Action.ACCEPT_WITH_ADMIN: {C_GA},
    Action.REMOVE_ADMIN_ROLES: {C_GA, C_DA},
    Action.END_RESELLER: {C_GA},
    Action.EDIT_ORGANIZATION_PROFILE: {C_GA, C_BA},
}


@pytest.mark.parametrize("action", list(DESIGN_TABLE))
@pytest.mark.parametrize("role", list(Role))
def test_every_row_of_the_role_table(action, role):
    assert may({role}, action) is (role in DESIGN_TABLE[action])


@pytest.mark.parametrize("action", list(Action))
def test_no_customer_role_may_act_in_partner_center_and_the_reverse(action):
    allowed = {role for role in Role if may({role}, action)}
    kinds = {role.value.split(".")[0] for role in allowed}
    assert len(kinds) == 1, f"{action} mixes partner and customer roles"


def test_a_member_with_several_roles_may_what_any_of_them_may():
    assert may({P_HA, P_SA}, Action.REQUEST_RELATIONSHIP)
    assert not may({P_HA, P_BA}, Action.REQUEST_RELATIONSHIP)
    assert not may(set(), Action.VIEW_CUSTOMERS)


def test_the_denial_says_who_may():
    assert denial_message(Action.REQUEST_RELATIONSHIP) == (
        "Only Admin agents and Sales agents can request a reseller relationship."
    )
    assert denial_message(Action.ACCEPT_WITH_ADMIN) == (
        "Only Global administrators can accept a request that includes admin permissions."
    )
    assert "Global admins, Admin agents and Sales agents" in denial_message(Action.ADD_CUSTOMER)


@pytest.mark.django_db
def test_us_government_partners_cannot_leave_admin_permissions_out():
    assert admin_permissions_required(tenant(TenantKind.PARTNER, "US", Cloud.USGOV))
    assert not admin_permissions_required(tenant(TenantKind.PARTNER, "US", Cloud.PUBLIC))


class TestMayPurchase:
    def test_it_needs_the_relationship_and_the_agreement(self):
        assert may_purchase(has_reseller_relationship=True, has_current_agreement=True)

    def test_it_names_what_is_missing(self):
        no_agreement = may_purchase(has_reseller_relationship=True, has_current_agreement=False)
        assert not no_agreement
        assert "current Microsoft Customer Agreement (MCA 2026-09)" in no_agreement.reason
        assert "reseller relationship" not in no_agreement.reason
        no_relationship = may_purchase(has_reseller_relationship=False, has_current_agreement=True)
        assert "reseller relationship" in no_relationship.reason
        assert "Agreement" not in no_relationship.reason


class TestMayManageSubscription:
    def decide(self, **overrides):
        facts = {
            "is_azure_plan": False,
            "provisioned_by_partner": True,
            "has_reseller_relationship": True,
            "has_admin_relationship": False,
        }
        return may_manage_subscription(**(facts | overrides))

    def test_a_licence_subscription_needs_one_of_the_tables_entra_roles(self):
        refused = self.decide()
        assert not refused
        assert refused.code == "admin"
        assert "no admin relationship in force" in refused.reason
        # A relationship, but the agent's groups hold no role there: a different reason.
        refused = self.decide(has_admin_relationship=True)
        assert refused.code == "admin_role"
        assert "none of your security groups" in refused.reason
        assert not self.decide(has_admin_relationship=True, agent_roles={HELPDESK_ADMINISTRATOR})
        for role in ENTRA_ROLES_FOR[CustomerTask.MANAGE_SUBSCRIPTION]:
            assert self.decide(has_admin_relationship=True, agent_roles=frozenset({role}))

    def test_the_table_names_the_roles_in_the_reason(self):
        reason = self.decide(has_admin_relationship=True).reason
        assert "Global Administrator, Billing Administrator or License Administrator" in reason

    def test_the_partners_own_azure_plan_needs_the_reseller_relationship_alone(self):
        assert self.decide(is_azure_plan=True)

    def test_an_azure_plan_without_any_relationship_is_refused(self):
        assert not self.decide(is_azure_plan=True, has_reseller_relationship=False)

    def test_another_partners_subscription_is_refused_even_with_admin_rights(self):
        assert not self.decide(
            is_azure_plan=True, provisioned_by_partner=False, has_admin_relationship=True
        )


class TestAdminRequestProblems:
    GOOD = {"name": "Helpdesk", "duration_days": 90, "roles": [HELPDESK_ADMINISTRATOR]}

    def problems(self, **overrides):
        return admin_request_problems(**({"auto_extend": False} | self.GOOD | overrides))

    def test_a_good_request_has_none(self):
        assert self.problems() == {}

    @pytest.mark.parametrize(
        ("overrides", "field", "says"),
        [
            ({"duration_days": 0}, "duration_days", "from 1 to 730 days"),
            ({"duration_days": 731}, "duration_days", "from 1 to 730 days"),
            ({"duration_days": None}, "duration_days", "from 1 to 730 days"),
            ({"name": "x" * 51}, "name", "at most 50 characters (this name has 51)"),
            ({"name": "   "}, "name", "Enter a name"),
            ({"name": "Help\ndesk"}, "name", "control characters"),
            ({"roles": []}, "roles", "at least one"),
            ({"roles": ["not-a-role"]}, "roles", "Unknown Microsoft Entra role: not-a-role"),
            (
                {"roles": ["62e90394-69f5-4237-9190-012177145e10"], "auto_extend": True},
                "auto_extend",
                "includes Global Administrator can't extend automatically",
            ),
        ],
    )
    def test_each_bad_field_is_named(self, overrides, field, says):
        problems = self.problems(**overrides)
        assert says in problems[field]

    def test_fifty_characters_is_fine(self):
        assert self.problems(name="x" * 50) == {}


def test_a_group_gets_only_roles_of_the_relationship():
    assert assignment_problems(roles=[HELPDESK_ADMINISTRATOR], relationship_roles=[]) == {
        "roles": "Not a role of this admin relationship: Helpdesk Administrator. A security "
        "group can only get roles the customer approved."
    }
    assert "at least one" in assignment_problems(roles=[], relationship_roles=[])["roles"]
    assert (
        assignment_problems(
            roles=[HELPDESK_ADMINISTRATOR], relationship_roles=[HELPDESK_ADMINISTRATOR]
        )
        == {}
    )


def test_every_action_has_its_roles_and_the_sentence_that_names_exactly_them():
    """The denial sentences are tied to the permission table: each action has one, and it names
    the roles the table allows (as their plurals) and none it doesn't."""
    from tenancy.choices import Role
    from tenancy.rules import DENIAL_MESSAGES, PERMISSIONS, Action

    assert set(PERMISSIONS) == set(Action) == set(DENIAL_MESSAGES)
    for action, allowed in PERMISSIONS.items():
        sentence = str(DENIAL_MESSAGES[action])
        assert sentence.startswith("Only "), action
        side = allowed[0].value.split(".")[0]
        for role in Role:
            if not role.value.startswith(f"{side}."):
                continue
            named = f"{role.label}s" in sentence
            assert named == (role in allowed), (action, role, sentence)
