"""Load the CSP market table (tenancy/data/csp_markets.csv) into Market and Country."""

from django.db import migrations

from tenancy.reference_data import load_markets


def forwards(apps, schema_editor):
    load_markets(apps.get_model("tenancy", "Market"), apps.get_model("tenancy", "Country"))


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
