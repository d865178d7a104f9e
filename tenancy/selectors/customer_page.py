"""Everything a customer's page can show, read as lines of text in one query: their stamp is the
page's version (tenancy.web.fragments.kept_snapshot_page).

The page (partner_center) shows the customer's account, the partner's reseller and admin
relationships with it, the agreement, what the partner sold it, the offers it can buy, and which
of the partner's agents hold roles there, through what. `page_lines` reads, from each table
those come from, every row the page could show, each row whole as one line (`WholeRow`: JSON
text), with the names it shows of related rows. A row changed by any writer, added or taken
away, changes the lines: the page kept under their digest is never shown again. The query is
compiled once a connection, and prepared on PostgreSQL's side (tenancy.prepared); its columns'
names are short so that the statement stays under the 4,096 characters whose parsing psycopg
keeps.

The page then takes from the lines, rather than reading them again, the customer
(`customer_in`), its acceptances of the agreement (`agreements_in`) and the catalog's offers, in
its order (`offers_in`, the purchase form's choices)."""

import datetime
import json

from django.db import DEFAULT_DB_ALIAS
from django.db.models import (
    CharField,
    DateTimeField,
    Expression,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast, JSONArray, JSONObject
from django.utils import timezone

from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AgreementAcceptance,
    Country,
    Offer,
    ResellerRelationship,
    SecurityGroupMember,
    Subscription,
    Tenant,
)
from tenancy.prepared import Prepared
from tenancy.selectors.lookups import customers_of

AGREEMENTS = "agreement"
CUSTOMER = "customer"
OFFERS = "offer"


class WholeRow(Expression):
    """The whole row of the query's table as a JSON object of text, column by column. On
    PostgreSQL `row_to_json` of the table (a short statement, whatever the columns); elsewhere
    a JSON object of each column."""

    output_field = TextField()

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.each = None

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, **kw):
        made = super().resolve_expression(query, allow_joins, reuse, summarize, **kw)
        made.base = query.get_initial_alias()
        columns = {field.column: F(field.attname) for field in self.model._meta.concrete_fields}
        made.each = JSONObject(**columns).resolve_expression(query, allow_joins, reuse, summarize)
        return made

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.each)
        return f"CAST({sql} AS text)", params

    def as_postgresql(self, compiler, connection):
        return f"row_to_json({compiler.quote_name(self.base)})::text", []


def _lines(rows: QuerySet, table: str, also=(), order=None) -> QuerySet:
    """`rows` as (table, order, row, also): each row whole (`WholeRow`), the related fields
    `also` names as a JSON array; `order` sorts the table's lines first (else the row does)."""
    return (
        rows.order_by()
        .annotate(
            lt=Value(table, output_field=CharField()),
            lo=Cast(order or Value(""), output_field=TextField()),
            lr=WholeRow(rows.model),
            la=Cast(JSONArray(*also), output_field=TextField()) if also else Value(""),
        )
        .values_list("lt", "lo", "lr", "la")
    )


def _page_lines(partner, customer) -> QuerySet:
    assignments = AccessAssignment.objects.filter(
        relationship__partner=partner, relationship__customer=customer
    )
    return (
        # The customer, if it is one of the partner's (else there is no such line), with its
        # country.
        _lines(
            customers_of(partner).filter(pk=customer),
            CUSTOMER,
            also=["country__name", "country__market_id"],
        )
        .union(
            _lines(AdminRelationship.objects.filter(partner=partner, customer=customer), "admin"),
            # Its reseller relationships with this partner, or through it (an indirect
            # provider's), with the names of both partners.
            _lines(
                ResellerRelationship.objects.filter(
                    Q(partner=partner) | Q(indirect_provider=partner), customer=customer
                ),
                "reseller",
                also=["partner__name", "indirect_provider__name"],
            ),
            _lines(AgreementAcceptance.objects.filter(customer=customer), AGREEMENTS),
            _lines(
                Subscription.objects.sold_by(partner).filter(customer=customer),
                "subscription",
                also=["partner__name", "indirect_reseller__name"],
            ),
            _lines(Offer.objects.all(), OFFERS, order="name"),
            # Who has access: the assignments on the partner's admin relationships here, with
            # their group's name, and each of those groups' members, with who each member is
            # (their name and whether they are active; not when they last signed in).
            _lines(assignments, "assignment", also=["group__name"]),
            _lines(
                SecurityGroupMember.objects.filter(group__in=assignments.values("group_id")),
                "member",
                also=["membership__user__username", "membership__user__is_active"],
            ),
            all=True,
        )
        .order_by("lt", "lo", "lr", "la")
    )


_PAGE_LINES = Prepared(_page_lines, partner=Tenant._meta.pk, customer=Tenant._meta.pk)


def page_lines(partner_id, customer_id) -> list[tuple[str, str, str, str]]:
    """(table, order, row, also) of every row `partner`'s page of `customer` can show, in one
    order."""
    return _PAGE_LINES.all(partner=partner_id, customer=customer_id)


def customer_in(lines) -> Tenant | None:
    """The customer with its country, as `page_lines` read them; None: not one of the partner's
    customers."""
    for table, _order, row, also in lines:
        if table == CUSTOMER:
            customer = _made(Tenant, row)
            name, market_id = json.loads(also)
            customer.country = Country.from_db(
                DEFAULT_DB_ALIAS,
                ["code", "name", "market_id"],
                [customer.country_id, name, market_id],
            )
            return customer
    return None


def has_customer(lines) -> bool:
    """Is the customer one of the partner's (its line is there)?"""
    return any(table == CUSTOMER for table, *_rest in lines)


def agreements_in(lines) -> list[AgreementAcceptance]:
    """The customer's acceptances of the Customer Agreement, as `page_lines` read them."""
    return [_made(AgreementAcceptance, row) for table, _o, row, _a in lines if table == AGREEMENTS]


def offers_in(lines) -> list[Offer]:
    """The catalog's offers, by name, as `page_lines` read them."""
    return [_made(Offer, row) for table, _order, row, _also in lines if table == OFFERS]


def _made(model, row: str):
    """An instance of `model` from its row as a line holds it (JSON: a moment, a UUID or a day
    as text, in either database's way of writing it), as the ORM makes one from a row."""
    values = json.loads(row)
    fields = model._meta.concrete_fields
    made = []
    for field in fields:
        value = values[field.column]
        if value is not None:
            value = field.to_python(value)
            if isinstance(field, DateTimeField) and timezone.is_naive(value):
                value = timezone.make_aware(value, datetime.UTC)  # SQLite keeps UTC, unmarked
        made.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, [field.attname for field in fields], made)
