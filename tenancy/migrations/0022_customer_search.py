"""The Customer list's name index carries every column and the two expressions its search
compares (UPPER(column::text)): a search in name order walks it without reading the table (see
CustomerListRow.Meta). It replaces cl_name_idx, whose columns lead it; added before that one is
dropped, so the list is never without a name index. Plain columns and expressions, on both
databases: nothing here is PostgreSQL's alone (the trigram indexes stay those of 0006)."""

from django.db import migrations, models
from django.db.models.functions import Upper


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0021_counter"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customerlistrow",
            index=models.Index(
                models.F("partner"),
                models.F("customer_name"),
                models.F("customer"),
                Upper("customer_name"),
                Upper("customer_domain"),
                models.F("id"),
                models.F("customer_domain"),
                models.F("country"),
                models.F("state"),
                models.F("since"),
                models.F("ended_at"),
                models.F("admin_until"),
                models.F("indirect_provider"),
                name="cl_name_search_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="customerlistrow",
            name="cl_name_idx",
        ),
    ]
