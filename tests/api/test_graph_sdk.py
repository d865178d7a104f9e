"""The admin relationships driven by the official Microsoft Graph Python SDK (msgraph-sdk), a
client nobody here wrote, against the live server: list, page with its PageIterator, filter,
create, get, lock for approval, access assignments, and an error read as its ODataError."""

import asyncio
import concurrent.futures
import datetime as dt

import httpx
import pytest
from kiota_abstractions.authentication import AuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.delegated_admin_access_assignment import (
    DelegatedAdminAccessAssignment,
)
from msgraph.generated.models.delegated_admin_access_container import (
    DelegatedAdminAccessContainer,
)
from msgraph.generated.models.delegated_admin_access_container_type import (
    DelegatedAdminAccessContainerType,
)
from msgraph.generated.models.delegated_admin_access_details import DelegatedAdminAccessDetails
from msgraph.generated.models.delegated_admin_relationship import DelegatedAdminRelationship
from msgraph.generated.models.delegated_admin_relationship_customer_participant import (
    DelegatedAdminRelationshipCustomerParticipant,
)
from msgraph.generated.models.delegated_admin_relationship_request import (
    DelegatedAdminRelationshipRequest,
)
from msgraph.generated.models.delegated_admin_relationship_request_action import (
    DelegatedAdminRelationshipRequestAction,
)
from msgraph.generated.models.delegated_admin_relationship_status import (
    DelegatedAdminRelationshipStatus,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.unified_role import UnifiedRole
from msgraph.generated.tenant_relationships.delegated_admin_relationships.delegated_admin_relationships_request_builder import (  # noqa: E501
    DelegatedAdminRelationshipsRequestBuilder,
)
from msgraph_core.tasks.page_iterator import PageIterator

from tenancy.models import (
    DEFAULT_ROLES,
    HELPDESK_ADMINISTRATOR,
    AdminRelationship,
    AdminRelationshipStatus,
)
from tests.factories import (
    AdminRelationshipFactory,
    CustomerFactory,
    ResellerRelationshipFactory,
    SecurityGroupFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


class AppKey(AuthenticationProvider):
    """The app's key as the bearer token (Graph's clients get one from Entra ID)."""

    def __init__(self, key: str):
        self.key = key

    async def authenticate_request(self, request, additional_authentication_context=None):
        request.headers.try_add("Authorization", f"Bearer {self.key}")


def graph(live_server, key: str) -> GraphServiceClient:
    adapter = GraphRequestAdapter(AppKey(key), client=httpx.AsyncClient(timeout=20))
    adapter.base_url = f"{live_server.url}/v1"
    return GraphServiceClient(request_adapter=adapter)


RUNNER: list = []


@pytest.fixture(autouse=True)
def event_loop_for_the_test(reference_data):
    """One event loop for a test's calls, in a thread of its own (the SDK's HTTP client keeps
    its connections on it; the browser tests' loop may be running in this one); and the
    reference data a transactional test may find gone, before anything needs it."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    loop = pool.submit(asyncio.new_event_loop).result()
    RUNNER.append((pool, loop))
    yield
    RUNNER.remove((pool, loop))
    pool.submit(loop.close).result()
    pool.shutdown()


def run(coroutine):
    pool, loop = RUNNER[-1]
    return pool.submit(loop.run_until_complete, coroutine).result()


def listing(**parameters):
    query = DelegatedAdminRelationshipsRequestBuilder.DelegatedAdminRelationshipsRequestBuilderGetQueryParameters(  # noqa: E501
        **parameters
    )
    return RequestConfiguration(query_parameters=query)


@pytest.fixture
def key(app_key):
    """An Admin agent and Sales agent app's key."""
    return app_key()


@pytest.fixture
def world(partner_a, partner_b):
    """Partner A: 7 active relationships in Northwind, 2 terminated and 1 waiting in Fabrikam;
    partner B: one of its own."""
    northwind = CustomerFactory(name="Northwind Traders")
    fabrikam = CustomerFactory(name="Fabrikam")
    for customer in (northwind, fabrikam):
        ResellerRelationshipFactory(partner=partner_a, customer=customer)
    active = [
        AdminRelationshipFactory(partner=partner_a, customer=northwind, name=f"Daily {n}")
        for n in range(7)
    ]
    ended = [
        AdminRelationshipFactory(
            partner=partner_a,
            customer=fabrikam,
            name=f"Old {n}",
            status=AdminRelationshipStatus.TERMINATED,
            closed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
        )
        for n in range(2)
    ]
    waiting = AdminRelationshipFactory(
        partner=partner_a, customer=fabrikam, name="Waiting", pending=True
    )
    AdminRelationshipFactory(partner=partner_b, name="Litware's")
    return {
        "northwind": northwind,
        "fabrikam": fabrikam,
        "active": active,
        "ended": ended,
        "waiting": waiting,
    }


def test_list_page_filter_and_count(live_server, key, world):
    client = graph(live_server, key)

    async def walk():
        first = await client.tenant_relationships.delegated_admin_relationships.get(
            request_configuration=listing(top=3, count=True)
        )
        assert first.odata_count == 10
        assert first.odata_next_link.startswith(live_server.url)
        seen = []
        iterator = PageIterator(first, client.request_adapter)

        def keep(item):
            seen.append(item.display_name)
            return True

        await iterator.iterate(keep)
        return seen

    seen = run(walk())
    assert len(seen) == 10 and len(set(seen)) == 10
    assert "Litware's" not in seen

    active = run(
        client.tenant_relationships.delegated_admin_relationships.get(
            request_configuration=listing(filter="status eq 'active'", top=50)
        )
    )
    assert {r.display_name for r in active.value} == {f"Daily {n}" for n in range(7)}
    assert {r.status for r in active.value} == {DelegatedAdminRelationshipStatus.Active}

    fabrikam = run(
        client.tenant_relationships.delegated_admin_relationships.get(
            request_configuration=listing(
                filter=f"customer/tenantId eq '{world['fabrikam'].pk}' and status ne 'terminated'"
            )
        )
    )
    assert [r.display_name for r in fabrikam.value] == ["Waiting"]


def test_filtering_active_then_terminating_each_ends_only_those(live_server, key, world):
    """The script the issue feared: filter, then terminate each result."""
    client = graph(live_server, key)
    relationships = client.tenant_relationships.delegated_admin_relationships

    async def script():
        page = await relationships.get(
            request_configuration=listing(
                filter="status eq 'active' and startswith(displayName, 'Daily 1')"
            )
        )
        for relationship in page.value:
            await relationships.by_delegated_admin_relationship_id(relationship.id).requests.post(
                DelegatedAdminRelationshipRequest(
                    action=DelegatedAdminRelationshipRequestAction.Terminate
                )
            )
        return [r.display_name for r in page.value]

    assert run(script()) == ["Daily 1"]
    ended = AdminRelationship.objects.filter(status=AdminRelationshipStatus.TERMINATED)
    assert sorted(ended.values_list("name", flat=True)) == ["Daily 1", "Old 0", "Old 1"]
    assert AdminRelationship.objects.filter(status=AdminRelationshipStatus.ACTIVE).count() == 7


def test_create_get_lock_and_read_the_request_back(live_server, key, world):
    client = graph(live_server, key)
    relationships = client.tenant_relationships.delegated_admin_relationships

    async def script():
        created = await relationships.post(
            DelegatedAdminRelationship(
                display_name="Helpdesk via the SDK",
                duration=dt.timedelta(days=730),
                customer=DelegatedAdminRelationshipCustomerParticipant(
                    tenant_id=str(world["northwind"].pk)
                ),
                access_details=DelegatedAdminAccessDetails(
                    unified_roles=[UnifiedRole(role_definition_id=r) for r in DEFAULT_ROLES]
                ),
                auto_extend_duration=dt.timedelta(days=180),
            )
        )
        one = relationships.by_delegated_admin_relationship_id(created.id)
        fetched = await one.get()
        lock = await one.requests.post(
            DelegatedAdminRelationshipRequest(
                action=DelegatedAdminRelationshipRequestAction.LockForApproval
            )
        )
        again = await one.requests.by_delegated_admin_relationship_request_id(lock.id).get()
        listed = await one.requests.get()
        return created, fetched, lock, again, listed

    created, fetched, lock, again, listed = run(script())
    assert created.status == DelegatedAdminRelationshipStatus.Created
    assert fetched.display_name == "Helpdesk via the SDK"
    assert fetched.duration == dt.timedelta(days=730)
    assert fetched.auto_extend_duration == dt.timedelta(days=180)
    assert lock.id and lock.action == DelegatedAdminRelationshipRequestAction.LockForApproval
    assert again.id == lock.id
    assert [r.id for r in listed.value] == [lock.id]
    relationship = AdminRelationship.objects.get(name="Helpdesk via the SDK")
    assert relationship.status == AdminRelationshipStatus.APPROVAL_PENDING
    assert relationship.duration_days == 730 and relationship.auto_extend


def test_access_assignments(live_server, key, partner_a, world):
    client = graph(live_server, key)
    relationship = world["active"][0]
    group = SecurityGroupFactory(partner=partner_a, name="Helpdesk – tier 1")
    relationships = client.tenant_relationships.delegated_admin_relationships
    one = relationships.by_delegated_admin_relationship_id(str(relationship.pk))

    async def script():
        made = await one.access_assignments.post(
            DelegatedAdminAccessAssignment(
                access_container=DelegatedAdminAccessContainer(
                    access_container_id=str(group.pk),
                    access_container_type=DelegatedAdminAccessContainerType.SecurityGroup,
                ),
                access_details=DelegatedAdminAccessDetails(
                    unified_roles=[UnifiedRole(role_definition_id=HELPDESK_ADMINISTRATOR)]
                ),
            )
        )
        listed = await one.access_assignments.get()
        return made, listed

    made, listed = run(script())
    assert made.access_container.access_container_id == str(group.pk)
    assert [a.id for a in listed.value] == [made.id]
    assert [r.role_definition_id for r in listed.value[0].access_details.unified_roles] == [
        HELPDESK_ADMINISTRATOR
    ]


def test_an_error_is_read_as_odata_error_with_its_message(live_server, key, world):
    client = graph(live_server, key)
    with pytest.raises(ODataError) as raised:
        run(
            client.tenant_relationships.delegated_admin_relationships.get(
                request_configuration=listing(filter="roles eq 'x'")
            )
        )
    error = raised.value
    assert error.response_status_code == 400
    assert error.error.code == "invalidRequest"
    assert error.error.message.startswith("Filter on one of: id, displayName, status")
    assert error.error.inner_error.request_id

    theirs = AdminRelationship.objects.get(name="Litware's")
    relationships = client.tenant_relationships.delegated_admin_relationships
    with pytest.raises(ODataError) as raised:
        run(relationships.by_delegated_admin_relationship_id(str(theirs.pk)).get())
    assert raised.value.response_status_code == 404
    assert raised.value.error.code == "itemNotFound"
