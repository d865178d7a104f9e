"""The all-or-nothing delegated admin model steps aside for admin relationships (GDAP): renamed
here, copied into the new model and dropped in the next migration."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0009_agreement_version_accepted_once"),
    ]

    operations = [
        migrations.RenameModel("AdminRelationship", "DelegatedAdminGrant"),
        migrations.AlterField(
            model_name="delegatedadmingrant",
            name="partner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.tenant",
            ),
        ),
        migrations.AlterField(
            model_name="delegatedadmingrant",
            name="customer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.tenant",
            ),
        ),
    ]
