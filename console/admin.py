"""The operators' console. Relationships, acceptances and audit events are read-only here:
ending a relationship is a state change the portals make, audited, and nothing is deleted.

What operators may change keeps the rules: every save writes an audit line with each field before
and after, in the save's own transaction (`OperatorAudit`); an edit that would break a rule
(`console.edit_checks`, the services' decisions) is refused on the form, with the rule's words;
users and memberships are deactivated, never deleted."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from console import edit_checks
from tenancy import rules, services
from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AgreementAcceptance,
    AuditAction,
    AuditEvent,
    Country,
    Invitation,
    Market,
    Membership,
    MembershipRole,
    Offer,
    Partnership,
    ResellerRelationship,
    Role,
    SecurityGroup,
    Subscription,
    Tenant,
)

User = get_user_model()

# Nothing is deleted from the operators' console, in bulk or one by one.
admin.site.disable_action("delete_selected")

# Fields whose value never goes into an audit line: it says the field changed, nothing more.
SECRET_FIELDS = {"password"}


# --- The audit line of every change -----------------------------------------------------------


def snapshot(obj) -> dict[str, str]:
    """Each field as the audit line shows it: a string, a related record by its name."""
    values = {}
    for field in obj._meta.concrete_fields:
        if not field.primary_key:
            value = getattr(obj, field.name)
            values[field.name] = "" if value is None else str(value)
    for field in obj._meta.many_to_many:
        related = getattr(obj, field.name).all()
        values[field.name] = ", ".join(sorted(str(each) for each in related))
    return values


def changes_between(before: dict, after: dict, names) -> dict[str, list[str]]:
    """{field: [before, after]} for the named fields that differ; a secret is never shown."""
    changes = {}
    for name in names:
        old, new = before.get(name, ""), after.get(name, "")
        if old == new:
            continue
        if name in SECRET_FIELDS:
            old, new = ("(hidden)" if old else ""), "(changed)"
        changes[name] = [old, new]
    return changes


def role_labels(membership: Membership) -> str:
    stored = MembershipRole.objects.filter(membership=membership).values_list("role", flat=True)
    return ", ".join(sorted(str(Role(role).label) for role in stored))


class OperatorAudit:
    """For every ModelAdmin that can change anything. Nothing is deleted, and each add or change
    writes one audit line (actor, record, each changed field before → after), and one per
    changed inline row, in the change view's transaction: a refused save writes nothing.
    A membership's roles, edited inline, make one "roles changed" line."""

    def has_delete_permission(self, request, obj=None):
        return False

    def audit_action(self, obj, changes, *, added: bool) -> AuditAction:
        return AuditAction.OPERATOR_ADDED if added else AuditAction.OPERATOR_CHANGED

    def save_form(self, request, form, change):
        if change:
            # What the save replaces, read from the database: the form's instance already holds
            # the new values. Locked, so a concurrent save by another operator can't slip in
            # between this "before" and the save.
            stored = self.model._default_manager.select_for_update().get(pk=form.instance.pk)
            form.stored_values = snapshot(stored)
        return super().save_form(request, form, change)

    def save_related(self, request, form, formsets, change):
        inline_before = [self.inline_snapshot(formset) for formset in formsets]
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = snapshot(obj)
        if change:
            # The form's own fields by what the operator changed (a date re-posted without its
            # microseconds is not a change); the others by what the save did.
            names = [name for name in after if name not in form.fields or name in form.changed_data]
            changes = changes_between(form.stored_values, after, names)
        else:
            changes = changes_between({}, after, after)
        if changes or not change:
            services.operator_change_record(
                operator=request.user,
                action=self.audit_action(obj, changes, added=not change),
                obj=obj,
                changes=changes,
            )
        for formset, before in zip(formsets, inline_before, strict=True):
            self.audit_inline(request, formset, before)

    def inline_snapshot(self, formset):
        """An inline's rows as stored, before the save: a membership's roles, or each row the
        operator changed."""
        if formset.model is MembershipRole:
            return role_labels(formset.instance) if formset.instance.pk else ""
        manager = formset.model._default_manager
        return {
            form.instance.pk: snapshot(manager.get(pk=form.instance.pk))
            for form in formset.initial_forms
            if form.has_changed()
        }

    def audit_inline(self, request, formset, before):
        if formset.model is MembershipRole:
            after = role_labels(formset.instance)
            if after != before:
                services.operator_change_record(
                    operator=request.user,
                    action=AuditAction.ROLES_CHANGED,
                    obj=formset.instance,
                    changes={"roles": [before, after]},
                )
            return
        for obj in formset.new_objects:
            after = snapshot(obj)
            services.operator_change_record(
                operator=request.user,
                action=AuditAction.OPERATOR_ADDED,
                obj=obj,
                changes=changes_between({}, after, after),
            )
        for obj, changed in formset.changed_objects:
            changes = changes_between(before[obj.pk], snapshot(obj), changed)
            if changes:
                services.operator_change_record(
                    operator=request.user,
                    action=AuditAction.OPERATOR_CHANGED,
                    obj=obj,
                    changes=changes,
                )


class AuditedAdmin(OperatorAudit, admin.ModelAdmin):
    """A ModelAdmin of something operators may add or change."""


def refuse(form: forms.Form, problems: dict[str, str]) -> None:
    """Show each broken rule on its field; the admin then saves nothing."""
    for field, message in problems.items():
        form.add_error(field if field in form.fields else None, message)


# --- Forms that keep the rules ------------------------------------------------------------------


class TenantAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        stored = self.instance  # the form's values reach it only after clean()
        refuse(
            self,
            edit_checks.tenant_change_problems(
                stored,
                kind=cleaned.get("kind", stored.kind),
                domain=cleaned.get("domain", stored.domain),
                country=cleaned.get("country"),
                cloud=cleaned.get("cloud", stored.cloud),
                mpn_id=cleaned.get("mpn_id", stored.mpn_id),
                csp_role=cleaned.get("csp_role", stored.csp_role),
            ),
        )
        return cleaned


class CountryAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        refuse(
            self, edit_checks.country_change_problems(self.instance, market=cleaned.get("market"))
        )
        return cleaned


class MembershipAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        refuse(
            self,
            edit_checks.membership_change_problems(
                self.instance, tenant=cleaned.get("tenant"), user=cleaned.get("user")
            ),
        )
        return cleaned


class MembershipRoleForm(forms.ModelForm):
    def _post_clean(self):
        # MembershipRole.clean checks the role against the membership's tenant. A new
        # membership whose tenant the operator left out has none yet: its own form says so, and
        # the roles are checked once it has one (nothing is saved before).
        membership = self.fields["membership"].parent_instance  # the inline's membership
        if membership.tenant_id is None:
            return
        super()._post_clean()


class MembershipRoleFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        membership = self.instance
        if membership._state.adding or membership.tenant_id is None:
            return
        tenant = Tenant.objects.get(pk=membership.tenant_id)
        role = rules.global_admin_role(tenant)
        stored = set(membership.role_rows.values_list("role", flat=True))
        kept = {
            form.cleaned_data.get("role")
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        }
        if role in stored and role not in kept:
            decision = services.global_admin_loss_decision(tenant, losing_role={membership.pk})
            if not decision:
                raise ValidationError(decision.reason, code=decision.code)


class OperatorUserChangeForm(UserChangeForm):
    operator = None  # the signed-in operator: OperatorUserAdmin.get_form sets it per request

    def clean(self):
        cleaned = super().clean()
        if self.instance.is_active and cleaned.get("is_active") is False:
            decision = services.user_deactivate_decision(self.instance, by=self.operator)
            if not decision:
                self.add_error("is_active", decision.reason)
        return cleaned


# --- Deactivating and reactivating users --------------------------------------------------------


def set_active(model_admin, request, users, *, active: bool) -> None:
    """Each user through the service, audited one by one; a refusal names the user and why."""
    change = services.user_reactivate if active else services.user_deactivate
    done = 0
    for user in users:
        try:
            done += change(user=user, operator=request.user)
        except services.ServiceError as refusal:
            model_admin.message_user(request, f"{user}: {refusal.message}", messages.ERROR)
    if done:
        verb = "Reactivated" if active else "Deactivated"
        model_admin.message_user(
            request, f"{verb} {done} user{'' if done == 1 else 's'}.", messages.SUCCESS
        )


class SearchByIdMixin:
    """Also match the UUID primary key ("Microsoft ID") exactly when the term is one."""

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            as_uuid = uuid.UUID(search_term.strip())
        except ValueError:
            return results, may_have_duplicates
        return results | queryset.filter(pk=as_uuid), may_have_duplicates


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActiveFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("ended", "Ended")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "ended":
            return queryset.filter(ended_at__isnull=False)
        return queryset


class CodeFixedAfterAddMixin:
    """The code is the primary key: a changed one would save a copy under the new code."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(["code"] if obj else [])]


@admin.register(Market)
class MarketAdmin(CodeFixedAfterAddMixin, AuditedAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Country)
class CountryAdmin(CodeFixedAfterAddMixin, AuditedAdmin):
    form = CountryAdminForm
    list_display = ["name", "code", "market"]
    list_filter = ["market"]
    search_fields = ["name", "code"]
    list_select_related = ["market"]


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipAdminForm
    fields = ["user", "must_change_password"]
    raw_id_fields = ["user"]
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Tenant)
class TenantAdmin(SearchByIdMixin, AuditedAdmin):
    form = TenantAdminForm
    list_display = ["name", "domain", "id", "kind", "country", "cloud", "mpn_id"]
    list_filter = ["kind", "cloud", "csp_role", ("country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "domain", "=mpn_id"]
    list_select_related = ["country"]
    readonly_fields = ["id", "created_at"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["id", "kind", "name", "domain", "country", "cloud", "created_at"]}),
        ("Partner", {"fields": ["mpn_id", "csp_role"]}),
        (
            "Address",
            {"fields": ["address_line1", "address_line2", "city", "region", "postal_code"]},
        ),
        (
            "Primary contact",
            {
                "fields": [
                    "contact_first_name",
                    "contact_last_name",
                    "contact_email",
                    "contact_phone",
                ]
            },
        ),
    ]

    # The Customer lists' copies of a customer's name, domain and country follow an edit: the
    # record table's effect of the change's audit line (tenancy.effects.record).


class MembershipRoleInline(admin.TabularInline):
    """Taking a role away removes its row: the membership stays, and the change is audited as
    the membership's roles before and after."""

    model = MembershipRole
    form = MembershipRoleForm
    formset = MembershipRoleFormSet
    extra = 1


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    form = MembershipAdminForm
    list_display = ["user", "tenant", "roles_display", "active", "must_change_password"]
    list_filter = ["user__is_active", "tenant__kind", "tenant__cloud", "role_rows__role"]
    search_fields = ["user__username", "user__email", "tenant__name", "tenant__domain"]
    list_select_related = ["user", "tenant"]
    raw_id_fields = ["user", "tenant"]
    inlines = [MembershipRoleInline]
    actions = ["deactivate_users", "reactivate_users"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("role_rows")

    @admin.display(description="roles")
    def roles_display(self, obj):
        return ", ".join(obj.role_labels)

    @admin.display(description="active", boolean=True, ordering="user__is_active")
    def active(self, obj):
        return obj.user.is_active

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_users(self, request, queryset):
        set_active(self, request, [m.user for m in queryset.select_related("user")], active=False)

    @admin.action(description="Reactivate selected users", permissions=["change"])
    def reactivate_users(self, request, queryset):
        set_active(self, request, [m.user for m in queryset.select_related("user")], active=True)


@admin.register(ResellerRelationship)
class ResellerRelationshipAdmin(ReadOnlyAdmin):
    list_display = [
        "partner",
        "customer",
        "indirect_provider",
        "formed_by",
        "created_at",
        "ended_at",
    ]
    list_filter = [ActiveFilter, "formed_by", "partner__cloud"]
    search_fields = [
        "partner__name",
        "partner__domain",
        "customer__name",
        "customer__domain",
        "=customer__id",
        "=partner__id",
    ]
    list_select_related = ["partner", "customer", "indirect_provider"]
    date_hierarchy = "created_at"


@admin.register(Partnership)
class PartnershipAdmin(ReadOnlyAdmin):
    list_display = ["provider", "reseller", "status", "requested_at", "answered_at", "ended_at"]
    list_filter = ["status"]
    search_fields = [
        "provider__name",
        "reseller__name",
        "=provider__mpn_id",
        "=reseller__mpn_id",
        "=provider__id",
        "=reseller__id",
    ]
    list_select_related = ["provider", "reseller"]
    date_hierarchy = "requested_at"


@admin.register(AdminRelationship)
class AdminRelationshipAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "partner",
        "customer",
        "shown_status",
        "duration_days",
        "auto_extend",
        "approved_at",
        "ends_at",
    ]
    list_filter = ["status", "auto_extend", "partner__cloud"]
    search_fields = [
        "=id",
        "name",
        "partner__name",
        "partner__domain",
        "customer__name",
        "customer__domain",
    ]
    list_select_related = ["partner", "customer"]
    exclude = ["token_salt", "token_hash"]
    date_hierarchy = "created_at"

    @admin.display(description="status")
    def shown_status(self, obj):
        return obj.display_status().label


@admin.register(SecurityGroup)
class SecurityGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "partner", "created_at"]
    search_fields = ["name", "partner__name"]
    list_select_related = ["partner"]


@admin.register(AccessAssignment)
class AccessAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["group", "relationship", "created_at", "removed_at"]
    search_fields = ["group__name", "relationship__name"]
    list_select_related = ["group", "relationship"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "partner",
        "label",
        "include_admin",
        "status",
        "created_at",
        "expires_at",
        "answered_tenant",
    ]
    list_filter = ["status", "include_admin", "partner__cloud"]
    search_fields = ["=id", "label", "partner__name", "partner__domain", "answered_tenant__name"]
    list_select_related = ["partner", "answered_tenant"]
    exclude = ["token_salt", "token_hash"]
    date_hierarchy = "created_at"


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(ReadOnlyAdmin):
    list_display = [
        "customer",
        "version",
        "method",
        "signer_first_name",
        "signer_last_name",
        "accepted_on",
        "recorded_at",
    ]
    list_filter = ["method", "version"]
    search_fields = ["customer__name", "customer__domain", "signer_email", "signer_last_name"]
    list_select_related = ["customer"]


@admin.register(Offer)
class OfferAdmin(CodeFixedAfterAddMixin, AuditedAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["offer", "customer", "partner", "quantity", "status", "created_at"]
    list_filter = ["status", "offer"]
    search_fields = ["customer__name", "customer__domain", "partner__name", "=id"]
    list_select_related = ["offer", "customer", "partner"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor_label", "actor_tenant", "partner", "customer"]
    list_filter = ["action"]
    search_fields = [
        "actor_label",
        "partner__name",
        "partner__domain",
        "customer__name",
        "customer__domain",
    ]
    list_select_related = ["actor_tenant", "partner", "customer"]
    date_hierarchy = "at"


# --- django.contrib.auth's models, under the same rules -----------------------------------------

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class OperatorUserAdmin(OperatorAudit, UserAdmin):
    form = OperatorUserChangeForm
    # Facts the system records, not the operator (and a re-posted time would lose its
    # microseconds: a change on every save).
    readonly_fields = ["last_login", "date_joined"]
    actions = ["deactivate_users", "reactivate_users"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)  # a new class on every call
        form.operator = request.user
        return form

    def audit_action(self, obj, changes, *, added: bool) -> AuditAction:
        if not added and "is_active" in changes:
            deactivated = changes["is_active"][1] == "False"
            return AuditAction.USER_DEACTIVATED if deactivated else AuditAction.USER_REACTIVATED
        return super().audit_action(obj, changes, added=added)

    def user_change_password(self, request, id, form_url=""):
        # Django's password view saves outside the change view's transaction and hook: here it
        # gets both, and the audit line says the password changed, never what to.
        with transaction.atomic(using=router.db_for_write(self.model)):
            user = self.get_object(request, unquote(id))
            stored = user.password if user else ""
            response = super().user_change_password(request, id, form_url)
            if user is not None:
                user.refresh_from_db(fields=["password"])
                changes = changes_between(
                    {"password": stored}, {"password": user.password}, ["password"]
                )
                if changes:
                    services.operator_change_record(
                        operator=request.user,
                        action=AuditAction.OPERATOR_CHANGED,
                        obj=user,
                        changes=changes,
                    )
        return response

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_users(self, request, queryset):
        set_active(self, request, queryset, active=False)

    @admin.action(description="Reactivate selected users", permissions=["change"])
    def reactivate_users(self, request, queryset):
        set_active(self, request, queryset, active=True)


@admin.register(Group)
class OperatorGroupAdmin(OperatorAudit, GroupAdmin):
    pass


# --- Sign-in methods ----------------------------------------------------------------------------
# A user's authenticator apps, passkeys and recovery codes are theirs to change (Security info)
# and their Global admin's to reset (audited): operators see them, read-only.

_THEIRS = (TOTPDevice, StaticDevice, WebAuthnCredential)
for _model in _THEIRS:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]


@admin.register(WebAuthnCredential)
class PasskeyAdmin(ReadOnlyAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at", "aaguid"]


@admin.register(StaticDevice)
class RecoveryCodesAdmin(ReadOnlyAdmin):
    list_display = ["user", "codes_left", "created_at", "last_used_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "created_at", "last_used_at"]

    @admin.display(description="codes left")
    def codes_left(self, obj):
        return obj.token_set.count()
