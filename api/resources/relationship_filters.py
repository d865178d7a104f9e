"""What Graph's `$filter`, `$select` and `$orderby` may name on admin relationships and their
access assignments (api.odata's allow-lists), and how each property maps onto the rows: most onto
a column, `status` and `endDateTime` onto conditions on dates (they are computed from dates)."""

from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Min, Q

from api import odata
from api.base import GRAPH_STATUS
from tenancy.choices import AdminRelationshipStatus, AssignmentState
from tenancy.models import AUTO_EXTEND_DAYS, status_condition

NO_EXTENSION, EXTENSION = "PT0S", f"P{AUTO_EXTEND_DAYS}D"


# Graph's statuses as the rows' statuses (those computed from dates are conditions on dates).
GRAPH_STATUSES = {
    graph: [AdminRelationshipStatus(ours) for ours, name in GRAPH_STATUS.items() if name == graph]
    for graph in dict.fromkeys(GRAPH_STATUS.values())
}
PERIOD = timedelta(days=AUTO_EXTEND_DAYS)
COMPARE = {"eq": "exact", "lt": "lt", "le": "lte", "gt": "gt", "ge": "gte"}


def _status_filter(now):
    def graph_status(graph: str) -> Q:
        return reduce(or_, (status_condition(ours, now) for ours in GRAPH_STATUSES[graph]))

    return odata.by_value(graph_status)


def _end_filter(relationships, now):
    """`endDateTime` as the answer shows it: when it was closed; else its end, moved on by
    auto-extension (`current_end`). An auto-extending relationship past its recorded end ends
    `k` periods later, where `k` depends on how long ago that was: one condition per `k` that
    occurs (the oldest such end, read once, says how many)."""
    extending = Q(closed_at__isnull=True, auto_extend=True, status=AdminRelationshipStatus.ACTIVE)
    oldest = None

    def periods() -> int:
        nonlocal oldest
        if oldest is None:
            first = relationships.filter(extending, ends_at__lte=now).aggregate(Min("ends_at"))
            oldest = first["ends_at__min"] or now
        return (now - oldest) // PERIOD + 1

    def at(column: str, operator: str, moment) -> Q:
        return Q(**{f"{column}__{COMPARE[operator]}": moment})

    def compare(operator: str, value) -> Q:
        if operator == "in":
            condition = Q(pk__in=[])
            for moment in value:
                condition |= compare("eq", moment)
            return condition
        if operator == "ne":
            return ~compare("eq", value)
        if value is None:  # eq null: no end yet (a request)
            return Q(closed_at__isnull=True, ends_at__isnull=True)
        closed = Q(closed_at__isnull=False) & at("closed_at", operator, value)
        fixed = (
            Q(closed_at__isnull=True, ends_at__isnull=False)
            & ~extending
            & at("ends_at", operator, value)
        )
        ahead = extending & Q(ends_at__gt=now) & at("ends_at", operator, value)
        condition = closed | fixed | ahead
        for k in range(1, periods() + 1):
            # Ended between k and k-1 periods ago: it ends k periods after its recorded end.
            condition |= (
                extending
                & Q(ends_at__lte=now - (k - 1) * PERIOD, ends_at__gt=now - k * PERIOD)
                & at("ends_at", operator, value - k * PERIOD)
            )
        return condition

    return compare


def relationship_properties(relationships, now) -> dict[str, odata.Property]:
    """What `$filter` may name on admin relationships (Graph's names)."""
    return {
        "id": odata.Property("guid", "id"),
        "displayName": odata.Property("string", "name", functions=frozenset({"startswith"})),
        "status": odata.Property("enum", values=tuple(GRAPH_STATUSES), compare=_status_filter(now)),
        "customer/tenantId": odata.Property("guid", "customer_id", nullable=True),
        "customer/displayName": odata.Property(
            "string", "customer__name", functions=frozenset({"startswith"}), nullable=True
        ),
        "createdDateTime": odata.Property("datetime", "created_at", operators=odata.ORDERING),
        "activatedDateTime": odata.Property(
            "datetime", "approved_at", operators=odata.ORDERING, nullable=True
        ),
        "endDateTime": odata.Property(
            "datetime",
            operators=odata.ORDERING,
            nullable=True,
            compare=_end_filter(relationships, now),
        ),
        "autoExtendDuration": odata.Property(
            "enum",
            values=(EXTENSION, NO_EXTENSION),
            compare=odata.by_value(lambda value: Q(auto_extend=value == EXTENSION)),
        ),
    }


ORDERBY = {"createdDateTime": "created_at", "displayName": "name"}
SELECTABLE = [
    "id",
    "displayName",
    "duration",
    "customer",
    "accessDetails",
    "status",
    "autoExtendDuration",
    "createdDateTime",
    "lastModifiedDateTime",
    "activatedDateTime",
    "endDateTime",
    "replacesRelationshipId",
    "upgradeAvailable",
]


ASSIGNMENT_PROPERTIES = {
    "id": odata.Property("guid", "id"),
    "status": odata.Property(
        "enum",
        values=("active", "error"),
        # The list holds assignments not removed: active is the state, error any other.
        compare=odata.by_value(
            lambda value: (
                Q(state=AssignmentState.ACTIVE)
                if value == "active"
                else ~Q(state=AssignmentState.ACTIVE)
            )
        ),
    ),
    "accessContainer/accessContainerId": odata.Property("guid", "group_id"),
    "createdDateTime": odata.Property("datetime", "created_at", operators=odata.ORDERING),
}
ASSIGNMENT_SELECTABLE = [
    "id",
    "accessContainer",
    "accessDetails",
    "status",
    "createdDateTime",
    "lastModifiedDateTime",
]
