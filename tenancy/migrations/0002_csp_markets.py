"""Load the CSP market table (tenancy/data/csp_markets.csv) into Market and Country."""

import csv
from pathlib import Path

from django.db import migrations

MARKETS_CSV = Path(__file__).resolve().parent.parent / "data" / "csp_markets.csv"


def load_markets(apps, schema_editor):
    Market = apps.get_model("tenancy", "Market")
    Country = apps.get_model("tenancy", "Country")
    with MARKETS_CSV.open(newline="", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            market, _ = Market.objects.update_or_create(
                code=row["market_code"], defaults={"name": row["market_name"]}
            )
            Country.objects.update_or_create(
                code=row["country_code"], defaults={"name": row["country_name"], "market": market}
            )


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [migrations.RunPython(load_markets, migrations.RunPython.noop)]
