"""Admin relationship templates: a partner's named set of Microsoft Entra roles, duration,
auto-extend, and which of its security groups get which of those roles once a customer approves.

A template is versioned: an edit makes a new version, and the versions, their roles and their
mappings never change afterwards. Every admin relationship made from a template remembers the
version it came from (`AdminRelationship.template_version`), so what a customer approved is what
its mappings give.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tenancy.entra_roles import role_names, sorted_roles
from tenancy.models.admin_relationships import SecurityGroup
from tenancy.models.tenants import Tenant

TEMPLATE_NAME_MAX = 100


class AdminRelationshipTemplate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="admin_templates")
    name = models.CharField(max_length=TEMPLATE_NAME_MAX)
    description = models.CharField(max_length=300, blank=True)
    # The version a new request or bulk job uses; the older ones stay with what they made.
    latest = models.ForeignKey(
        "TemplateVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "partner",
                Lower("name"),
                name="template_name_unique_per_partner",
                violation_error_message="There is already a template with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(models.Model):
    """What a template asks for, as it was at one edit. Never changed once made."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(
        AdminRelationshipTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    roles = models.JSONField(default=list, help_text="Microsoft Entra role template ids.")
    duration_days = models.PositiveSmallIntegerField("duration in days")
    auto_extend = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"

    @property
    def role_infos(self):
        return sorted_roles(self.roles)

    @property
    def role_names(self) -> list[str]:
        return role_names(self.roles)


class TemplateMapping(models.Model):
    """Once a customer approves a relationship made from the version: this security group gets
    these of its roles."""

    version = models.ForeignKey(TemplateVersion, on_delete=models.PROTECT, related_name="mappings")
    group = models.ForeignKey(SecurityGroup, on_delete=models.PROTECT, related_name="+")
    roles = models.JSONField(default=list, help_text="Microsoft Entra role template ids.")

    class Meta:
        ordering = ["group__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "group"], name="template_mapping_once"),
        ]

    def __str__(self) -> str:
        return f"{self.group} in {self.version}"

    @property
    def role_names(self) -> list[str]:
        return role_names(self.roles)
