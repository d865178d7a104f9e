"""Reference data the product needs in every database: the CSP markets and the offer catalog.

The data migrations call these with their historical models; tests whose database is emptied
between tests (browser walks) call them with the real ones. Both are idempotent. When the CSV or
the catalog changes, add a migration that calls the loader again.
"""

import csv
from pathlib import Path

MARKETS_CSV = Path(__file__).resolve().parent / "data" / "csp_markets.csv"

OFFERS = [
    (
        "microsoft-365-business-basic",
        "Microsoft 365 Business Basic",
        "license",
        "Web and mobile Office apps, Teams, email and 1 TB of cloud storage per user.",
    ),
    (
        "microsoft-365-business-standard",
        "Microsoft 365 Business Standard",
        "license",
        "Everything in Business Basic, plus desktop Office apps.",
    ),
    (
        "microsoft-365-e3",
        "Microsoft 365 E3",
        "license",
        "Office apps, Windows Enterprise, and enterprise security and compliance.",
    ),
    (
        "office-365-e1",
        "Office 365 E1",
        "license",
        "Web versions of Office apps, email, file storage and Teams.",
    ),
    (
        "azure-plan",
        "Azure plan",
        "azure",
        "Pay-as-you-go Azure services, billed monthly on consumption.",
    ),
]


def load_markets(Market, Country) -> None:
    with MARKETS_CSV.open(newline="", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            market, _ = Market.objects.update_or_create(
                code=row["market_code"], defaults={"name": row["market_name"]}
            )
            Country.objects.update_or_create(
                code=row["country_code"], defaults={"name": row["country_name"], "market": market}
            )


def load_offers(Offer) -> None:
    for code, name, kind, description in OFFERS:
        Offer.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "description": description}
        )
