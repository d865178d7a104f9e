"""Graph's query options on the Graph-shaped lists: `$filter`, `$select`, `$orderby`, `$top`,
`$count`, `$skiptoken`.

`$filter` is parsed by odata-query (an OData v4 parser) into its syntax tree; `FilterTranslator`
turns that tree into a Q through an allow-list: each resource names the properties it may be
filtered on, with the operators each takes and how it maps onto the model (a plain column, or a
rule of the model such as a status computed from dates). Anything else — an unknown property,
an operator or function a property does not take, a literal of the wrong type, arithmetic, a
lambda — is an `ODataError` (a 400 in Graph's shape), never ignored: a filter never widens what
a script gets.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from odata_query import ast
from odata_query.exceptions import ODataException
from odata_query.grammar import ODataLexer, ODataParser
from rest_framework import serializers

MAX_FILTER = 2000
MAX_NODES = 200

EQUALITY = frozenset({"eq", "ne", "in"})
ORDERING = frozenset({"eq", "ne", "in", "lt", "le", "gt", "ge"})
COMPARATORS = {
    ast.Eq: "eq",
    ast.NotEq: "ne",
    ast.Lt: "lt",
    ast.LtE: "le",
    ast.Gt: "gt",
    ast.GtE: "ge",
    ast.In: "in",
}
LOOKUPS = {"lt": "lt", "le": "lte", "gt": "gt", "ge": "gte"}


class ODataError(ValueError):
    """A query option the resource can't answer exactly: `message` says why, `option` names it."""

    def __init__(self, option: str, message: str):
        super().__init__(message)
        self.option, self.message = option, message


@dataclass(frozen=True)
class Property:
    """One filterable property: `kind` says which literals it takes ("string", "guid",
    "datetime", "enum"); `column` the model field it reads, or `compare` a function that makes
    the Q of (operator, value) itself (a value computed from several columns)."""

    kind: str
    column: str = ""
    operators: frozenset = EQUALITY
    functions: frozenset = frozenset()
    values: tuple = ()  # an enum's values
    nullable: bool = False
    compare: Callable[[str, object], Q] | None = field(default=None, compare=False)


def by_value(condition: Callable[[object], Q]) -> Callable[[str, object], Q]:
    """The comparison of an enum property each value of which is a condition of its own (eq,
    ne, in), for `Property.compare`."""

    def compare(operator: str, value) -> Q:
        matched = Q(pk__in=[])
        for one in value if operator == "in" else [value]:
            matched |= condition(one)
        return ~matched if operator == "ne" else matched

    return compare


def parse(text: str):
    """odata-query's syntax tree of a `$filter` (ODataError when it is not OData)."""
    if len(text) > MAX_FILTER:
        raise ODataError(
            "$filter", _("A $filter can have at most %(max)s characters.") % {"max": MAX_FILTER}
        )
    try:
        return ODataParser().parse(ODataLexer().tokenize(text))
    except (ODataException, ValueError, RecursionError):
        raise ODataError("$filter", _("The $filter is not an OData expression.")) from None


class FilterTranslator:
    """A `$filter` tree to a Q, on the allow-list `properties` (names as Graph writes them:
    "status", "customer/tenantId")."""

    def __init__(self, properties: dict[str, Property]):
        self.properties = properties
        self.nodes = 0

    def q(self, text: str) -> Q:
        tree = parse(text)
        try:
            return self.visit(tree)
        except RecursionError:
            raise self.unsupported(_("The $filter is nested too deeply.")) from None

    # --- The tree -------------------------------------------------------------------------

    def visit(self, node) -> Q:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.unsupported(
                _("A $filter can have at most %(max)s terms.") % {"max": MAX_NODES}
            )
        if isinstance(node, ast.BoolOp):
            left, right = self.visit(node.left), self.visit(node.right)
            return left & right if isinstance(node.op, ast.And) else left | right
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~self.visit(node.operand)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.unsupported(
            _(
                "Only comparisons of properties with values, and, or, not and startswith are "
                "supported."
            )
        )

    def compare(self, node: ast.Compare) -> Q:
        operator = COMPARATORS[type(node.comparator)]
        name, prop = self.property_of(node.left)
        if operator not in prop.operators:
            raise self.unsupported(
                _("%(property)s can't be compared with %(operator)s: use %(operators)s.")
                % {
                    "property": name,
                    "operator": operator,
                    "operators": ", ".join(sorted(prop.operators)),
                }
            )
        if operator == "in":
            if not isinstance(node.right, ast.List) or not node.right.val:
                raise self.unsupported(_("in takes a list of values: ('a', 'b')."))
            values = [self.value(name, prop, item) for item in node.right.val]
            if prop.compare is not None:
                return prop.compare("in", values)
            return Q(**{f"{prop.column}__in": values})
        value = self.value(name, prop, node.right)
        if prop.compare is not None:
            return prop.compare(operator, value)
        if value is None:
            if operator not in ("eq", "ne"):
                raise self.unsupported(_("null can only be compared with eq or ne."))
            condition = Q(**{f"{prop.column}__isnull": True})
            return condition if operator == "eq" else ~condition
        if operator in ("eq", "ne"):
            condition = Q(**{prop.column: value})
            return condition if operator == "eq" else ~condition
        return Q(**{f"{prop.column}__{LOOKUPS[operator]}": value})

    def call(self, node: ast.Call) -> Q:
        function = node.func.full_name()
        if function != "startswith" or len(node.args) != 2:
            raise self.unsupported(
                _("The function %(function)s is not supported here.") % {"function": function}
            )
        name, prop = self.property_of(node.args[0])
        if "startswith" not in prop.functions:
            raise self.unsupported(
                _("startswith takes %(properties)s.")
                % {
                    "properties": ", ".join(
                        n for n, p in self.properties.items() if "startswith" in p.functions
                    )
                }
            )
        value = self.value(name, prop, node.args[1])
        if not isinstance(value, str):
            raise self.unsupported(_("startswith takes a string in quotes."))
        return Q(**{f"{prop.column}__startswith": value})

    # --- Its leaves -----------------------------------------------------------------------

    def property_of(self, node) -> tuple[str, Property]:
        name = _path(node)
        if name is None or name not in self.properties:
            raise self.unsupported(
                _("Filter on one of: %(properties)s.") % {"properties": ", ".join(self.properties)}
            )
        return name, self.properties[name]

    def value(self, name: str, prop: Property, node):
        if isinstance(node, ast.Null):
            if not prop.nullable:
                raise self.unsupported(_("%(property)s is never null.") % {"property": name})
            return None
        try:
            if prop.kind == "guid":
                if isinstance(node, ast.GUID | ast.String):
                    return uuid.UUID(node.val)
            elif prop.kind == "datetime":
                if isinstance(node, ast.DateTime):
                    moment = node.py_val
                    if moment.utcoffset() is not None:
                        moment.astimezone(dt.UTC)  # one that leaves the calendar is refused
                        return moment
            elif prop.kind == "enum":
                if isinstance(node, ast.String) and node.py_val in prop.values:
                    return node.py_val
            elif isinstance(node, ast.String) and "\x00" not in node.py_val:
                return node.py_val
        except (ValueError, OverflowError):
            pass
        raise self.unsupported(_wrong_value(name, prop))

    @staticmethod
    def unsupported(message: str) -> ODataError:
        return ODataError("$filter", message)


def _path(node) -> str | None:
    """ "customer/tenantId" for the tree of customer/tenantId; None for anything not a path."""
    if isinstance(node, ast.Identifier) and not node.namespace:
        return node.name
    if isinstance(node, ast.Attribute):
        owner = _path(node.owner)
        return f"{owner}/{node.attr}" if owner else None
    return None


def _wrong_value(name: str, prop: Property) -> str:
    if prop.kind == "guid":
        return _("%(property)s takes a GUID.") % {"property": name}
    if prop.kind == "datetime":
        return _(
            "%(property)s takes a date and time with its offset, unquoted: 2026-01-31T00:00:00Z."
        ) % {"property": name}
    if prop.kind == "enum":
        return _("%(property)s takes one of: %(values)s.") % {
            "property": name,
            "values": ", ".join(f"'{value}'" for value in prop.values),
        }
    return _("%(property)s takes a string in quotes.") % {"property": name}


# --- $select, $orderby, $top, $count ---------------------------------------------------------

TOP = re.compile(r"[0-9]{1,6}")


def top(text: str | None, *, default: int, maximum: int) -> int:
    if text is None:
        return default
    size = int(text) if TOP.fullmatch(text) else 0
    if not 1 <= size <= maximum:
        raise ODataError("$top", _("Use $top from 1 to %(max)s.") % {"max": maximum})
    return size


def select(text: str | None, allowed: list[str]) -> list[str] | None:
    """The properties `$select` keeps (None: all of them)."""
    if text is None:
        return None
    chosen = text.split(",")
    unknown = [name for name in chosen if name not in allowed]
    if not chosen or unknown:
        raise ODataError(
            "$select", _("Select from: %(properties)s.") % {"properties": ", ".join(allowed)}
        )
    return chosen


def orderby(text: str | None, columns: dict[str, str], default: list[str]) -> list[str]:
    """The queryset's order for `$orderby` ("createdDateTime desc"), one property, then the id
    in the same direction (a keyset page needs a unique last key)."""
    if text is None:
        return default
    match = re.fullmatch(r"([A-Za-z/]+)(?: (asc|desc))?", text)
    if match is None or match[1] not in columns:
        raise ODataError(
            "$orderby",
            _("Order by one of: %(properties)s, then asc or desc.")
            % {"properties": ", ".join(columns)},
        )
    sign = "-" if match[2] == "desc" else ""
    return [f"{sign}{columns[match[1]]}", f"{sign}id"]


def count(text: str | None) -> bool:
    if text is None:
        return False
    if text not in ("true", "false"):
        raise ODataError("$count", _("Use $count=true or $count=false."))
    return text == "true"


def only(body: dict, chosen: list[str] | None) -> dict:
    """`body` with only the `$select`ed properties (and its id)."""
    if chosen is None:
        return body
    return {key: value for key, value in body.items() if key == "id" or key in chosen}


# --- The request's options, and the links of an answer ---------------------------------------


QUERY_OPTIONS = {"$filter", "$select", "$orderby", "$top", "$count", "$skiptoken"}


def query_options(request, allowed=QUERY_OPTIONS) -> dict[str, str]:
    """The request's `$` options, each once; one this list doesn't take is a 400 (Graph's
    `$search`, `$skip`, `$expand`… are never silently ignored)."""
    options = {}
    for key in request.query_params:
        if key.startswith("$"):
            if key not in allowed:
                raise ODataError(
                    key,
                    _("%(option)s is not supported here; use %(options)s.")
                    % {"option": key, "options": ", ".join(sorted(allowed))},
                )
            values = request.query_params.getlist(key)
            if len(values) > 1:
                raise ODataError(key, _("Give %(option)s once.") % {"option": key})
            options[key] = values[0]
    return options


def next_link(request, path: str, cursor: str) -> str:
    """Graph's `@odata.nextLink`: the absolute URL of the next page, the same query with the
    page's `$skiptoken`."""
    query = [(k, v) for k, v in request.query_params.items() if k != "$skiptoken"]
    query.append(("$skiptoken", cursor))
    return request.build_absolute_uri(path) + "?" + urlencode(query, safe="$/,'()")


def context_link(request, entity: str) -> str:
    return request.build_absolute_uri("/v1/") + f"$metadata#{entity}"


def as_400(error: ODataError) -> serializers.ValidationError:
    """An ODataError as the 400 naming its option."""
    return serializers.ValidationError({error.option: error.message})


def documented(
    *, filterable: list[str], selectable: list[str], orderable: list[str], top_default: int
) -> list:
    """The query options a Graph list takes, as its OpenAPI parameters: each limit the server
    enforces is in the schema (`$top`'s range, `$select`'s names, `$orderby`'s choices)."""
    names = "|".join(re.escape(name) for name in selectable)
    orders = [f"{name}{way}" for name in orderable for way in ("", " asc", " desc")]
    return [
        OpenApiParameter(
            "$filter",
            {"type": "string", "minLength": 1, "maxLength": MAX_FILTER},
            description="An OData filter on " + ", ".join(filterable) + ".",
        ),
        OpenApiParameter(
            "$select",
            {"type": "string", "pattern": f"^(?:{names})(?:,(?:{names}))*$"},
            description="Comma-separated, no spaces: " + ", ".join(selectable) + ".",
        ),
        OpenApiParameter("$orderby", {"type": "string", "enum": orders}),
        OpenApiParameter(
            "$top",
            {"type": "integer", "minimum": 1, "maximum": 500},
            description=f"1 to 500 (default {top_default}).",
        ),
        OpenApiParameter("$count", {"type": "boolean"}),
        OpenApiParameter(
            "$skiptoken", str, description="The next page's token, from `@odata.nextLink`."
        ),
    ]
