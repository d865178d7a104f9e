"""The operators' console. Relationships, acceptances and audit events are read-only here:
ending a relationship is a state change the portals make, audited, and nothing is deleted."""

import uuid

from django.contrib import admin

from tenancy.models import (
    AccessAssignment,
    AdminRelationship,
    AgreementAcceptance,
    AuditEvent,
    Country,
    CustomerListRow,
    Invitation,
    Market,
    Membership,
    MembershipRole,
    Offer,
    ResellerRelationship,
    SecurityGroup,
    Subscription,
    Tenant,
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


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "market"]
    list_filter = ["market"]
    search_fields = ["name", "code"]
    list_select_related = ["market"]

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "must_change_password"]
    raw_id_fields = ["user"]
    extra = 0
    show_change_link = True


@admin.register(Tenant)
class TenantAdmin(SearchByIdMixin, admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The Customer list shows copies of the name, domain and country: keep them equal.
        CustomerListRow.objects.filter(customer=obj).update(
            customer_name=obj.name, customer_domain=obj.domain, country=obj.country
        )

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipRoleInline(admin.TabularInline):
    model = MembershipRole
    extra = 1


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "roles_display", "must_change_password"]
    list_filter = ["tenant__kind", "tenant__cloud", "role_rows__role"]
    search_fields = ["user__username", "user__email", "tenant__name", "tenant__domain"]
    list_select_related = ["user", "tenant"]
    raw_id_fields = ["user", "tenant"]
    inlines = [MembershipRoleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("role_rows")

    @admin.display(description="roles")
    def roles_display(self, obj):
        return ", ".join(obj.role_labels)


@admin.register(ResellerRelationship)
class ResellerRelationshipAdmin(ReadOnlyAdmin):
    list_display = ["partner", "customer", "formed_by", "created_at", "ended_at"]
    list_filter = [ActiveFilter, "formed_by", "partner__cloud"]
    search_fields = [
        "partner__name",
        "partner__domain",
        "customer__name",
        "customer__domain",
        "=customer__id",
        "=partner__id",
    ]
    list_select_related = ["partner", "customer"]
    date_hierarchy = "created_at"


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
class OfferAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]

    def has_delete_permission(self, request, obj=None):
        return False


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
