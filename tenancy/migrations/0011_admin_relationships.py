"""Admin relationships (GDAP), security groups, access assignments and reminder notices.

Every delegated admin grant of the old model becomes an admin relationship, without loss: the
same partner, customer, roles (as Microsoft Entra role ids), approver and dates. Ongoing grants
run 730 days from this migration, as Microsoft's own move from DAP to GDAP gave them; ended ones
become terminated relationships (the customer removed them). The agents who could use the roles
(Admin and Sales agents) still can: each partner gets a security group of them, assigned every
migrated relationship's roles. The Customer list's rows lose the "reseller with admin roles"
state: an admin relationship is a column of its own now.
"""

import uuid
from datetime import timedelta

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count
from django.utils import timezone

OLD_ROLE_IDS = {
    "global_administrator": "62e90394-69f5-4237-9190-012177145e10",
    "helpdesk_administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
}
MIGRATED_DAYS = 730
MIGRATED_GROUP = "Delegated admin agents (migrated)"


def _name(customer_name: str, new_id: uuid.UUID) -> str:
    suffix = f" - {new_id.hex[:8]}"
    return f"Delegated admin - {customer_name}"[: 50 - len(suffix)].rstrip() + suffix


def copy_delegated_admin_grants(apps, schema_editor):
    Old = apps.get_model("tenancy", "DelegatedAdminGrant")
    New = apps.get_model("tenancy", "AdminRelationship")
    Row = apps.get_model("tenancy", "CustomerListRow")
    Counter = apps.get_model("tenancy", "CustomerListCount")
    Group = apps.get_model("tenancy", "SecurityGroup")
    GroupMember = apps.get_model("tenancy", "SecurityGroupMember")
    Assignment = apps.get_model("tenancy", "AccessAssignment")
    Membership = apps.get_model("tenancy", "Membership")
    now = timezone.now()
    groups = {}

    def migrated_group(partner_id):
        """The agents who could manage a customer's services before (Admin and Sales agents)
        keep that power: one security group per partner, assigned every migrated role."""
        if partner_id not in groups:
            group = Group.objects.create(
                partner_id=partner_id,
                name=MIGRATED_GROUP,
                description="Made when delegated admin roles became admin relationships: "
                "the agents who held them then.",
                created_at=now,
            )
            agents = Membership.objects.filter(
                tenant_id=partner_id,
                role_rows__role__in=["partner.admin_agent", "partner.sales_agent"],
            ).distinct()
            GroupMember.objects.bulk_create(
                GroupMember(group=group, membership=agent, added_at=now) for agent in agents
            )
            groups[partner_id] = group
        return groups[partner_id]

    grants = Old.objects.select_related("customer", "invitation").order_by("pk")
    for grant in grants.iterator(chunk_size=1000):
        new_id = uuid.uuid4()
        ongoing = grant.ended_at is None
        requested_at = grant.invitation.created_at if grant.invitation else grant.granted_at
        requested_by_id = grant.invitation.created_by_id if grant.invitation else None
        relationship = New.objects.create(
            id=new_id,
            partner_id=grant.partner_id,
            customer_id=grant.customer_id,
            name=_name(grant.customer.name, new_id),
            roles=sorted({OLD_ROLE_IDS.get(role, role) for role in grant.roles}),
            duration_days=MIGRATED_DAYS,
            auto_extend=False,
            status="active" if ongoing else "terminated",
            invitation_id=grant.invitation_id,
            created_at=requested_at,
            created_by_id=requested_by_id,
            finalized_at=requested_at,
            finalized_by_id=requested_by_id,
            approved_at=grant.granted_at,
            approved_by_id=grant.granted_by_id,
            ends_at=(
                max(grant.granted_at, now) + timedelta(days=MIGRATED_DAYS)
                if ongoing
                else grant.granted_at + timedelta(days=MIGRATED_DAYS)
            ),
            closed_at=None if ongoing else grant.ended_at,
            closed_by_id=None if ongoing else grant.ended_by_id,
            closed_by_tenant_id=None if ongoing else grant.customer_id,
        )
        row = Row.objects.filter(partner_id=grant.partner_id, customer_id=grant.customer_id)
        if ongoing:
            Assignment.objects.create(
                relationship=relationship,
                group=migrated_group(grant.partner_id),
                roles=relationship.roles,
                created_at=now,
            )
            current = row.values_list("admin_until", flat=True).first()
            until = relationship.ends_at if current is None else max(current, relationship.ends_at)
            if not row.update(admin_until=until):
                customer = grant.customer
                Row.objects.create(
                    partner_id=grant.partner_id,
                    customer_id=customer.pk,
                    customer_name=customer.name,
                    customer_domain=customer.domain,
                    country_id=customer.country_id,
                    state="admin_only",
                    since=grant.granted_at,
                    admin_until=relationship.ends_at,
                )
    Row.objects.filter(state="admin").update(state="reseller")
    Counter.objects.all().delete()
    Counter.objects.bulk_create(
        Counter(partner_id=partner_id, state=state, count=count)
        for partner_id, state, count in Row.objects.values_list("partner_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0010_rename_old_admin_relationship"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessAssignment",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "roles",
                    models.JSONField(default=list, help_text="Microsoft Entra role template ids."),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(blank=True, null=True)),
                ("removed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["created_at"],
            },
        ),
        migrations.CreateModel(
            name="AdminRelationship",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=50, verbose_name="admin relationship name")),
                (
                    "roles",
                    models.JSONField(default=list, help_text="Microsoft Entra role template ids."),
                ),
                (
                    "duration_days",
                    models.PositiveSmallIntegerField(verbose_name="duration in days"),
                ),
                ("auto_extend", models.BooleanField(default=False)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("created", "Created"),
                            ("approval_pending", "Approval pending"),
                            ("active", "Active"),
                            ("declined", "Declined"),
                            ("withdrawn", "Withdrawn"),
                            ("terminated", "Terminated"),
                        ],
                        default="created",
                        max_length=20,
                    ),
                ),
                ("token_salt", models.CharField(blank=True, editable=False, max_length=32)),
                (
                    "token_hash",
                    models.CharField(
                        blank=True, editable=False, max_length=64, null=True, unique=True
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finalized_at", models.DateTimeField(blank=True, null=True)),
                (
                    "approved_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="approved (activated) at"
                    ),
                ),
                ("ends_at", models.DateTimeField(blank=True, null=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="AdminRelationshipNotice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("30_days", "Ends in 30 days"),
                            ("7_days", "Ends in 7 days"),
                            ("1_day", "Ends in 1 day"),
                            ("expired", "Expired"),
                            ("extended", "Extended automatically"),
                        ],
                        max_length=10,
                    ),
                ),
                ("ends_at", models.DateTimeField()),
                ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("recipients", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="SecurityGroup",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name", models.CharField(max_length=120)),
                ("description", models.CharField(blank=True, max_length=300)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="SecurityGroupMember",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("added_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.RemoveIndex(
            model_name="delegatedadmingrant",
            name="admin_pair_idx",
        ),
        migrations.RemoveIndex(
            model_name="delegatedadmingrant",
            name="admin_customer_idx",
        ),
        migrations.RemoveConstraint(
            model_name="delegatedadmingrant",
            name="one_active_admin_relationship_per_pair",
        ),
        migrations.RemoveConstraint(
            model_name="delegatedadmingrant",
            name="admin_relationship_between_two_tenants",
        ),
        migrations.AddField(
            model_name="customerlistrow",
            name="admin_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("invitation.created", "Created a reseller relationship request"),
                    ("invitation.sent", "Emailed a reseller relationship request"),
                    ("invitation.opened", "Opened a reseller relationship request"),
                    ("invitation.revoked", "Revoked a reseller relationship request"),
                    ("invitation.accepted", "Accepted a reseller relationship request"),
                    ("invitation.declined", "Declined a reseller relationship request"),
                    ("invitation.refused", "A reseller relationship request was refused"),
                    ("customer.added", "Added a customer"),
                    ("agreement.accepted", "Accepted the Microsoft Customer Agreement"),
                    ("agreement.attested", "Attested acceptance of the Customer Agreement"),
                    ("reseller.started", "Reseller relationship started"),
                    ("reseller.ended", "Reseller relationship ended"),
                    ("admin.granted", "Admin roles granted"),
                    ("admin.removed", "Admin roles removed"),
                    ("admin_relationship.created", "Created an admin relationship request"),
                    ("admin_relationship.finalized", "Finalized an admin relationship request"),
                    ("admin_relationship.sent", "Emailed an admin relationship request"),
                    ("admin_relationship.withdrawn", "Withdrew an admin relationship request"),
                    ("admin_relationship.approved", "Approved an admin relationship"),
                    ("admin_relationship.declined", "Declined an admin relationship request"),
                    ("admin_relationship.refused", "An admin relationship request was refused"),
                    ("admin_relationship.terminated", "Terminated an admin relationship"),
                    ("admin_relationship.extended", "An admin relationship was extended"),
                    ("admin_relationship.reminded", "Sent an admin relationship reminder"),
                    ("security_group.created", "Created a security group"),
                    ("security_group.renamed", "Renamed a security group"),
                    ("security_group.member_added", "Added a member to a security group"),
                    ("security_group.member_removed", "Removed a security group member"),
                    ("access_assignment.created", "Gave a security group admin roles"),
                    ("access_assignment.updated", "Changed a security group's admin roles"),
                    ("access_assignment.removed", "Removed a security group's admin roles"),
                    ("subscription.purchased", "Purchased a subscription"),
                    ("subscription.changed", "Changed a subscription's quantity"),
                    ("subscription.suspended", "Suspended a subscription"),
                    ("subscription.reactivated", "Reactivated a subscription"),
                    ("profile.updated", "Updated the organization profile"),
                ],
                max_length=40,
            ),
        ),
        migrations.AlterField(
            model_name="customerlistcount",
            name="state",
            field=models.CharField(
                choices=[
                    ("reseller", "Reseller"),
                    ("ended", "Ended"),
                    ("admin_only", "Admin relationship only"),
                ],
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="customerlistrow",
            name="state",
            field=models.CharField(
                choices=[
                    ("reseller", "Reseller"),
                    ("ended", "Ended"),
                    ("admin_only", "Admin relationship only"),
                ],
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="customerlistrow",
            index=models.Index(fields=["partner", "admin_until"], name="cl_admin_until_idx"),
        ),
        migrations.AddField(
            model_name="accessassignment",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="accessassignment",
            name="removed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="adminrelationship",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="adminrelationship",
            name="closed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="adminrelationship",
            name="closed_by_tenant",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.tenant",
            ),
        ),
        migrations.AddField(
            model_name="adminrelationship",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="adminrelationship",
            name="customer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="admin_relationships",
                to="tenancy.tenant",
            ),
        ),
        migrations.AddField(
            model_name="adminrelationship",
            name="finalized_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="adminrelationship",
            name="invitation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenancy.invitation",
            ),
        ),
        migrations.AddField(
            model_name="adminrelationship",
            name="partner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="admin_grants",
                to="tenancy.tenant",
            ),
        ),
        migrations.AddField(
            model_name="accessassignment",
            name="relationship",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="tenancy.adminrelationship",
            ),
        ),
        migrations.AddField(
            model_name="adminrelationshipnotice",
            name="relationship",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notices",
                to="tenancy.adminrelationship",
            ),
        ),
        migrations.AddField(
            model_name="securitygroup",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="securitygroup",
            name="partner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="security_groups",
                to="tenancy.tenant",
            ),
        ),
        migrations.AddField(
            model_name="accessassignment",
            name="group",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="tenancy.securitygroup",
            ),
        ),
        migrations.AddField(
            model_name="securitygroupmember",
            name="added_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="securitygroupmember",
            name="group",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="tenancy.securitygroup",
            ),
        ),
        migrations.AddField(
            model_name="securitygroupmember",
            name="membership",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenancy.membership",
            ),
        ),
        migrations.AddField(
            model_name="securitygroup",
            name="members",
            field=models.ManyToManyField(
                related_name="security_groups",
                through="tenancy.SecurityGroupMember",
                to="tenancy.membership",
            ),
        ),
        migrations.RunPython(copy_delegated_admin_grants, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="delegatedadmingrant",
            name="customer",
        ),
        migrations.RemoveField(
            model_name="delegatedadmingrant",
            name="ended_by",
        ),
        migrations.RemoveField(
            model_name="delegatedadmingrant",
            name="granted_by",
        ),
        migrations.RemoveField(
            model_name="delegatedadmingrant",
            name="invitation",
        ),
        migrations.RemoveField(
            model_name="delegatedadmingrant",
            name="partner",
        ),
        migrations.AddIndex(
            model_name="adminrelationship",
            index=models.Index(fields=["partner", "-created_at", "-id"], name="gdap_partner_idx"),
        ),
        migrations.AddIndex(
            model_name="adminrelationship",
            index=models.Index(
                fields=["partner", "status", "-created_at", "-id"], name="gdap_partner_status_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="adminrelationship",
            index=models.Index(fields=["customer", "partner"], name="gdap_customer_idx"),
        ),
        migrations.AddIndex(
            model_name="adminrelationship",
            index=models.Index(fields=["status", "ends_at"], name="gdap_ends_idx"),
        ),
        migrations.AddConstraint(
            model_name="adminrelationship",
            constraint=models.UniqueConstraint(
                models.F("partner"),
                django.db.models.functions.text.Lower("name"),
                name="gdap_name_unique_per_partner",
                violation_error_message="This partner already has an admin relationship with this name.",
            ),
        ),
        migrations.AddConstraint(
            model_name="adminrelationship",
            constraint=models.CheckConstraint(
                condition=models.Q(("duration_days__gte", 1), ("duration_days__lte", 730)),
                name="gdap_duration_1_to_730_days",
            ),
        ),
        migrations.AddConstraint(
            model_name="adminrelationship",
            constraint=models.CheckConstraint(
                condition=models.Q(("partner", models.F("customer")), _negated=True),
                name="gdap_between_two_tenants",
            ),
        ),
        migrations.AddConstraint(
            model_name="adminrelationship",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["created", "approval_pending", "withdrawn"]),
                    models.Q(("customer__isnull", False), ("status", "declined")),
                    models.Q(
                        ("approved_at__isnull", False),
                        ("customer__isnull", False),
                        ("ends_at__isnull", False),
                        ("status__in", ["active", "terminated"]),
                    ),
                    _connector="OR",
                ),
                name="gdap_approved_has_customer_and_end",
            ),
        ),
        migrations.AddConstraint(
            model_name="adminrelationship",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("closed_at__isnull", False),
                        ("status__in", ["declined", "withdrawn", "terminated"]),
                    ),
                    models.Q(
                        ("closed_at__isnull", True),
                        ("status__in", ["created", "approval_pending", "active"]),
                    ),
                    _connector="OR",
                ),
                name="gdap_closed_matches_status",
            ),
        ),
        migrations.AddConstraint(
            model_name="adminrelationshipnotice",
            constraint=models.UniqueConstraint(
                fields=("relationship", "kind", "ends_at"), name="gdap_notice_once"
            ),
        ),
        migrations.AddIndex(
            model_name="accessassignment",
            index=models.Index(fields=["group", "relationship"], name="assignment_group_idx"),
        ),
        migrations.AddConstraint(
            model_name="accessassignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("removed_at__isnull", True)),
                fields=("relationship", "group"),
                name="one_assignment_per_group_and_relationship",
                violation_error_message="This security group already has roles in this relationship: edit them instead.",
            ),
        ),
        migrations.AddIndex(
            model_name="securitygroupmember",
            index=models.Index(fields=["membership", "group"], name="group_member_idx"),
        ),
        migrations.AddConstraint(
            model_name="securitygroupmember",
            constraint=models.UniqueConstraint(
                fields=("group", "membership"), name="security_group_member"
            ),
        ),
        migrations.AddConstraint(
            model_name="securitygroup",
            constraint=models.UniqueConstraint(
                models.F("partner"),
                django.db.models.functions.text.Lower("name"),
                name="security_group_name_unique_per_partner",
                violation_error_message="There is already a security group with this name.",
            ),
        ),
        migrations.DeleteModel(
            name="DelegatedAdminGrant",
        ),
    ]
