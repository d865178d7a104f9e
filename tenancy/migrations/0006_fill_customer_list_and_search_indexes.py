"""Fill the Customer list's read model from the relationship tables, and on PostgreSQL add the
trigram indexes that serve its contains-search on company name and domain."""

from django.db import migrations

# Django's icontains on PostgreSQL compares UPPER(column::text) LIKE UPPER(pattern): the index is
# on that expression, so the planner uses it.
TRIGRAM_INDEXES = [
    (
        "cl_name_trgm_idx",
        "UPPER(customer_name::text) gin_trgm_ops",
    ),
    (
        "cl_domain_trgm_idx",
        "UPPER(customer_domain::text) gin_trgm_ops",
    ),
]


def fill(apps, schema_editor):
    ResellerRelationship = apps.get_model("tenancy", "ResellerRelationship")
    AdminRelationship = apps.get_model("tenancy", "AdminRelationship")
    CustomerListRow = apps.get_model("tenancy", "CustomerListRow")
    admin = set(
        AdminRelationship.objects.filter(ended_at__isnull=True).values_list(
            "partner_id", "customer_id"
        )
    )
    latest = {}
    for relationship in (
        ResellerRelationship.objects.select_related("customer").order_by("created_at", "pk")
    ).iterator(chunk_size=2000):
        latest[(relationship.partner_id, relationship.customer_id)] = relationship
    rows = []
    for (partner_id, customer_id), relationship in latest.items():
        if relationship.ended_at is not None:
            state = "ended"
        else:
            state = "admin" if (partner_id, customer_id) in admin else "reseller"
        customer = relationship.customer
        rows.append(
            CustomerListRow(
                partner_id=partner_id,
                customer_id=customer_id,
                customer_name=customer.name,
                customer_domain=customer.domain,
                country_id=customer.country_id,
                state=state,
                since=relationship.created_at,
                ended_at=relationship.ended_at,
            )
        )
    CustomerListRow.objects.bulk_create(rows, batch_size=2000)


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite searches without them (a scan of the partner's rows).
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON tenancy_customerlistrow USING gin ({expression})"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, _ in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0005_customer_list_read_model"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
