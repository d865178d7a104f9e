"""The small offer catalog partners purchase from on a customer's page."""

from django.db import migrations

from tenancy.reference_data import load_offers


def forwards(apps, schema_editor):
    load_offers(apps.get_model("tenancy", "Offer"))


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_csp_markets")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
