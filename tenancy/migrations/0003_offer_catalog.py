"""The small offer catalog partners purchase from on a customer's page."""

from django.db import migrations

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


def add_offers(apps, schema_editor):
    Offer = apps.get_model("tenancy", "Offer")
    for code, name, kind, description in OFFERS:
        Offer.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_csp_markets")]

    operations = [migrations.RunPython(add_offers, migrations.RunPython.noop)]
