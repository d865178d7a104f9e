"""A customer's partner relationships (`GET /v1/customers/{id}/relationships`): the caller's
own reseller relationship and, in two tiers, the partners on the other tier of it."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import CUSTOMER_ID, AppView, AttributesSerializer, TextField, customer_of, errors
from tenancy import rules
from tenancy.models import CspRole, ResellerRelationship, Tenant
from tenancy.rules import Action

# PartnerRelationship.relationshipType of the partner itself: none for a direct-bill partner.
RELATIONSHIP_TYPES = {
    CspRole.DIRECT: "None",
    CspRole.INDIRECT_PROVIDER: "IsIndirectCloudSolutionProviderOf",
    CspRole.INDIRECT_RESELLER: "IsIndirectResellerOf",
}


class PartnerRelationshipSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The partner's tenant id.")
    name = TextField()
    mpnId = TextField(help_text="The PartnerID.")
    location = TextField(help_text="The partner's country (ISO 3166 code).")
    relationshipType = serializers.ChoiceField(choices=list(RELATIONSHIP_TYPES.values()))
    state = TextField(help_text='"active" (an ended relationship is not listed).')
    attributes = AttributesSerializer()


class PartnerRelationshipCollectionSerializer(serializers.Serializer):
    totalCount = serializers.IntegerField()
    items = PartnerRelationshipSerializer(many=True)
    attributes = AttributesSerializer()


def _partner_relationship(tenant: Tenant, relationship_type: str) -> dict:
    return {
        "id": str(tenant.pk),
        "name": tenant.name,
        "mpnId": str(tenant.mpn_id),
        "location": tenant.country_id,
        "relationshipType": relationship_type,
        "state": "active",
        "attributes": {"objectType": "PartnerRelationship"},
    }


class CustomerRelationshipsView(AppView):
    action = Action.VIEW_CUSTOMERS

    @extend_schema(
        operation_id="customer_relationships_list",
        summary="Your relationships with a customer",
        description="Your active reseller relationship with the customer, as a "
        "PartnerRelationship, first; none once it ended, or for a customer you only hold an "
        "admin relationship with. A direct-bill partner sees only itself (`relationshipType` "
        "`None`). An indirect provider sees itself (`IsIndirectCloudSolutionProviderOf`) and "
        "each indirect reseller that serves the customer through it (`IsIndirectResellerOf`), "
        "by name. An indirect reseller sees itself (`IsIndirectResellerOf`) and the indirect "
        "provider it serves the customer through (`IsIndirectCloudSolutionProviderOf`).",
        responses={200: PartnerRelationshipCollectionSerializer, **errors(403, 404)},
        parameters=[CUSTOMER_ID],
    )
    def get(self, request, customer_id):
        partner = self.partner
        customer = customer_of(partner, customer_id)
        active = ResellerRelationship.objects.active().filter(customer=customer)
        if rules.partnership_side(partner) == "provider":
            # Its own relationship and its resellers' through it, in one query.
            relationships = active.filter(
                Q(partner=partner) | Q(indirect_provider=partner)
            ).select_related("partner")
        else:
            relationships = active.filter(partner=partner).select_related("indirect_provider")
        own, others = [], []
        for relationship in relationships:
            if relationship.partner_id != partner.pk:
                others.append(_partner_relationship(relationship.partner, "IsIndirectResellerOf"))
                continue
            own.append(
                _partner_relationship(partner, RELATIONSHIP_TYPES.get(partner.csp_role, "None"))
            )
            if relationship.indirect_provider is not None:
                others.append(
                    _partner_relationship(
                        relationship.indirect_provider, "IsIndirectCloudSolutionProviderOf"
                    )
                )
        others.sort(key=lambda item: (item["name"].casefold(), item["id"]))
        items = own + others
        return Response(
            {
                "totalCount": len(items),
                "items": items,
                "attributes": {"objectType": "Collection"},
            }
        )
