"""The Partner Center API, in the real one's shapes (`items`, `totalCount`, `links`,
`attributes.objectType`), on the services and rules the pages use."""

import json
from datetime import UTC
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenancy import rules, selectors, services
from tenancy.models import (
    AdminRelationship,
    AgreementAcceptance,
    CspRole,
    CustomerListCount,
    CustomerListRow,
    CustomerState,
    Invitation,
    InvitationStatus,
    Partnership,
    ResellerRelationship,
    Tenant,
)
from tenancy.paging import keyset_page
from tenancy.rules import Action
from tenancy.validators import validate_phone, validate_single_line

MAX_SIZE = 500
DEFAULT_SIZE = 40
ORDER = ["customer_name", "customer_id"]
FILTER_FIELDS = {"CompanyName": "customer_name", "Domain": "customer_domain"}
CONTINUATION_HEADER = "MS-ContinuationToken"


def lazy_sentence(message: str, **values) -> str:
    """`message` (marked with gettext_noop) translated when it is shown, in the request's
    language, its %(placeholders)s filled with `values`: for sentences made at import time."""
    return lazy(lambda: _(message) % values, str)()


# Graph's names for an admin relationship's status.
GRAPH_STATUS = {
    "created": "created",
    "approval_pending": "approvalPending",
    "active": "active",
    "expiring": "active",
    "declined": "terminated",
    "withdrawn": "terminated",
    "terminated": "terminated",
    "expired": "expired",
}


class AppView(APIView):
    """Every endpoint: an app's key, and the app's roles must allow `action`."""

    action: Action
    # Where a method needs another action than `action` (a GET reads, a POST writes).
    method_actions: dict[str, Action] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        rules.require(request.membership, self.method_actions.get(request.method, self.action))

    @property
    def partner(self) -> Tenant:
        return self.request.membership.tenant


# --- Shapes ----------------------------------------------------------------------------------


class AttributesSerializer(serializers.Serializer):
    objectType = serializers.CharField()


class RelationshipRequestSerializer(serializers.Serializer):
    url = serializers.URLField()
    attributes = AttributesSerializer()


class CompanyProfileSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    domain = serializers.CharField()
    companyName = serializers.CharField()


class AdminRelationshipRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    displayName = serializers.CharField()
    status = serializers.CharField()


class CustomerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    companyProfile = CompanyProfileSerializer()
    relationshipToPartner = serializers.ChoiceField(choices=["reseller", "none"])
    attributes = AttributesSerializer()


class CustomerDetailSerializer(CustomerSerializer):
    adminRelationships = AdminRelationshipRefSerializer(many=True)


class LinkSerializer(serializers.Serializer):
    uri = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.ListField(child=serializers.DictField())


class LinksSerializer(serializers.Serializer):
    self = LinkSerializer()
    next = LinkSerializer(required=False)


class CustomerCollectionSerializer(serializers.Serializer):
    totalCount = serializers.IntegerField()
    items = CustomerSerializer(many=True)
    links = LinksSerializer()
    attributes = AttributesSerializer()


def _customer(row_id, name, domain, state) -> dict:
    return {
        "id": str(row_id),
        "companyProfile": {"tenantId": str(row_id), "domain": domain, "companyName": name},
        "relationshipToPartner": "reseller" if state == CustomerState.RESELLER else "none",
        "attributes": {"objectType": "Customer"},
    }


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    field = serializers.CharField(required=False)


def errors(*codes: int) -> dict:
    """The error answers an operation documents, all in the one shape of `api.errors`."""
    return dict.fromkeys(codes, ErrorSerializer)


def iso(moment) -> str:
    """A time as Partner Center and Graph write it: ISO 8601 in UTC, with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


customer_of = selectors.customer_of


CUSTOMER_ID = OpenApiParameter("customer_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


# --- Relationship requests -------------------------------------------------------------------


INDIRECT_RESELLER_ID = "indirectResellerId"
INDIRECT_PROVIDER_ID = "indirectCloudSolutionProviderId"


class RelationshipRequestView(AppView):
    action = Action.REQUEST_RELATIONSHIP

    @extend_schema(
        summary="A new reseller relationship request link",
        description="The same request as New relationship in Partner Center: a link valid "
        "for the request's lifetime, audited as the app. Two tiers: an indirect provider names "
        f"one of its indirect resellers (`{INDIRECT_RESELLER_ID}`) and gets the two-tier link "
        f"for that reseller; an indirect reseller must name one of its indirect providers "
        f"(`{INDIRECT_PROVIDER_ID}`). Either link carries "
        "`invType=IndirectResellerRelationship`: accepting it makes the customer the "
        "provider's and the reseller's through it. Naming a partner you have no active "
        "partnership with is refused (409, code `partnership`); the parameters are for "
        "indirect providers and indirect resellers only (400 for anyone else).",
        parameters=[
            OpenApiParameter("label", str, description="Who the request is for (optional)."),
            OpenApiParameter("recipient", str, description="The customer's email (optional)."),
            OpenApiParameter(
                "delegatedAdmin",
                bool,
                description="Include delegated administration permissions (default true).",
            ),
            OpenApiParameter(
                "language",
                str,
                enum=[code for code, _name in settings.LANGUAGES],
                description="The email's language, as New relationship's Email language "
                "(default: the request's Accept-Language, else English).",
            ),
            OpenApiParameter(
                INDIRECT_RESELLER_ID,
                OpenApiTypes.UUID,
                description="Indirect providers only: the tenant id of an indirect reseller you "
                "partner with. The link is the reseller's two-tier request, naming you.",
            ),
            OpenApiParameter(
                INDIRECT_PROVIDER_ID,
                OpenApiTypes.UUID,
                description="Indirect resellers (required for them): the tenant id of the "
                "indirect provider you partner with that the customer will buy through.",
            ),
        ],
        responses={200: RelationshipRequestSerializer, **errors(400, 403, 409)},
    )
    def get(self, request):
        params = QuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        partner, provider = self._tiers(data)
        try:
            invitation = services.invitation_create(
                partner=partner,
                created_by=request.user,
                include_admin=data["delegatedAdmin"],
                label=data["label"],
                recipient_email=data["recipient"],
                indirect_provider=provider,
                acting_partner=self.partner,
                language=data.get("language"),
            )
        except services.ServiceError as refusal:
            if refusal.code == "provider":  # an indirect reseller named no provider
                raise serializers.ValidationError({INDIRECT_PROVIDER_ID: refusal.message}) from None
            raise
        return Response(
            {"url": invitation.link(), "attributes": {"objectType": "RelationshipRequest"}}
        )

    def _tiers(self, data) -> tuple[Tenant, Tenant | None]:
        """(the request's partner, its indirect provider): the caller and none, or the two
        tiers the parameters name."""
        caller = self.partner
        side = rules.partnership_side(caller)
        reseller_id, provider_id = data.get(INDIRECT_RESELLER_ID), data.get(INDIRECT_PROVIDER_ID)
        if reseller_id is not None and side != "provider":
            raise serializers.ValidationError(
                {
                    INDIRECT_RESELLER_ID: _(
                        # Translators: %(parameter)s is the API's parameter name, as it is.
                        "%(parameter)s is for indirect providers, requesting a relationship "
                        "for one of their indirect resellers."
                    )
                    % {"parameter": INDIRECT_RESELLER_ID}
                }
            )
        if provider_id is not None and side != "reseller":
            raise serializers.ValidationError(
                {
                    INDIRECT_PROVIDER_ID: _(
                        # Translators: %(parameter)s is the API's parameter name, as it is.
                        "%(parameter)s is for indirect resellers, naming the indirect provider "
                        "the customer will buy through."
                    )
                    % {"parameter": INDIRECT_PROVIDER_ID}
                }
            )
        if reseller_id is not None:
            return self._partnered(caller, reseller_id, other="reseller"), caller
        if provider_id is not None:
            return caller, self._partnered(caller, provider_id, other="provider")
        return caller, None

    @staticmethod
    def _partnered(caller: Tenant, other_id, *, other: str) -> Tenant:
        """The partner on the other side of one of the caller's partnerships (of any status:
        the service refuses one that is not active, in its own words). An id the caller never
        partnered with is refused without saying whose it is."""
        side = "provider" if other == "reseller" else "reseller"
        found = Tenant.objects.filter(
            pk=other_id,
            pk__in=Partnership.objects.filter(**{side: caller}).values(f"{other}_id"),
        ).first()
        if found is None:
            if other == "reseller":
                message = _(
                    "Choose one of your indirect resellers: only a reseller you partner with "
                    "can be named."
                )
            else:
                message = _(
                    "Choose one of your indirect providers: only a provider you partner with "
                    "can be named."
                )
            raise services.ServiceError(message, code="partnership")
        return found


class QuerySerializer(serializers.Serializer):
    ID_PROBLEM = gettext_lazy(
        "Use a tenant id: a GUID such as 00000000-0000-4000-8000-000000000000."
    )

    label = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    recipient = serializers.EmailField(required=False, default="", allow_blank=True)
    delegatedAdmin = serializers.BooleanField(required=False, default=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    indirectResellerId = serializers.UUIDField(
        required=False, error_messages={"invalid": ID_PROBLEM}
    )
    indirectCloudSolutionProviderId = serializers.UUIDField(
        required=False, error_messages={"invalid": ID_PROBLEM}
    )


# --- Customers --------------------------------------------------------------------------------


class CustomerListView(AppView):
    action = Action.VIEW_CUSTOMERS

    @extend_schema(
        operation_id="customers_list",
        summary="The partner's customers, a page at a time",
        description="Sorted by company name. `links.next` carries the continuation token (send "
        f"it back in the `{CONTINUATION_HEADER}` header, or as `continuationToken`): a page "
        "costs the same wherever it is, and a customer added meanwhile neither repeats nor hides "
        'one. `filter`: {"Field": "CompanyName" | "Domain", "Value": "Cont", '
        '"Operator": "starts_with"}.',
        parameters=[
            OpenApiParameter("size", int, description=f"1 to {MAX_SIZE} (default {DEFAULT_SIZE})"),
            OpenApiParameter("filter", str, description="JSON, as above"),
            OpenApiParameter("continuationToken", str),
            OpenApiParameter(
                CONTINUATION_HEADER, str, location=OpenApiParameter.HEADER, required=False
            ),
        ],
        responses=CustomerCollectionSerializer,
    )
    def get(self, request):
        size = self._size(request.query_params.get("size"))
        rows = CustomerListRow.objects.filter(partner=self.partner)
        filtered = request.query_params.get("filter")
        if filtered:
            rows = rows.filter(**self._filter(filtered))
        token = request.headers.get(CONTINUATION_HEADER) or request.query_params.get(
            "continuationToken"
        )
        page = keyset_page(rows, order=ORDER, cursor=token, size=size)
        if filtered:
            total = rows.count()
        else:
            counts = CustomerListCount.objects.filter(partner=self.partner)
            total = sum(counts.values_list("count", flat=True))
        query = f"size={size}" + (f"&filter={filtered}" if filtered else "")
        links = {"self": {"uri": f"/v1/customers?{query}", "method": "GET", "headers": []}}
        if page.next_cursor:
            links["next"] = {
                "uri": f"/v1/customers?{query}&seekOperation=Next",
                "method": "GET",
                "headers": [{"key": CONTINUATION_HEADER, "value": page.next_cursor}],
            }
        return Response(
            {
                "totalCount": total,
                "items": [
                    _customer(r.customer_id, r.customer_name, r.customer_domain, r.state)
                    for r in page.object_list
                ],
                "links": links,
                "attributes": {"objectType": "Collection"},
            }
        )

    @staticmethod
    def _size(value) -> int:
        if value in (None, ""):
            return DEFAULT_SIZE
        try:
            size = int(value)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_SIZE:
            raise serializers.ValidationError(
                {"size": _("Use a size from 1 to %(max)s.") % {"max": MAX_SIZE}}
            )
        return size

    @staticmethod
    def _filter(raw: str) -> dict:
        problem = serializers.ValidationError(
            {
                "filter": _(
                    # Translators: the JSON stays as it is.
                    'Use {"Field": "CompanyName" or "Domain", "Value": "...", '
                    '"Operator": "starts_with"}.'
                )
            }
        )
        try:
            spec = json.loads(raw)
        except ValueError:
            raise problem from None
        if not isinstance(spec, dict):
            raise problem
        field = FILTER_FIELDS.get(spec.get("Field"))
        value = spec.get("Value")
        if field is None or spec.get("Operator") != "starts_with":
            raise problem
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise problem
        return {f"{field}__istartswith": value.strip()}


class CustomerPatchSerializer(serializers.Serializer):
    relationshipToPartner = serializers.CharField(
        help_text='"none": ends your reseller relationship with the customer.'
    )

    def validate_relationshipToPartner(self, value: str) -> str:
        if value != "none":
            raise serializers.ValidationError(
                _('Only "none" can be set: it removes your reseller relationship.')
            )
        return value

    def to_internal_value(self, data):
        if isinstance(data, dict):
            for key in data:
                if key not in self.fields:
                    raise serializers.ValidationError(
                        {str(key)[:100]: _("Only relationshipToPartner can change here.")}
                    )
        return super().to_internal_value(data)


class CustomerDetailView(AppView):
    action = Action.VIEW_CUSTOMERS
    method_actions = {"PATCH": Action.REMOVE_RESELLER}

    @extend_schema(
        operation_id="customer_get",
        summary="One customer",
        responses=CustomerDetailSerializer,
        parameters=[OpenApiParameter("customer_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    )
    def get(self, request, customer_id):
        row = get_object_or_404(CustomerListRow, partner=self.partner, customer_id=customer_id)
        now = timezone.now()
        relationships = AdminRelationship.objects.filter(
            partner=self.partner, customer_id=customer_id
        ).order_by("-created_at")
        body = _customer(row.customer_id, row.customer_name, row.customer_domain, row.state)
        body["adminRelationships"] = [
            {
                "id": str(r.pk),
                "displayName": r.name,
                "status": GRAPH_STATUS[r.display_status(now).value],
            }
            for r in relationships
        ]
        return Response(body)

    @extend_schema(
        operation_id="customer_update",
        summary="Remove the reseller relationship",
        description='`{"relationshipToPartner": "none"}` ends your reseller relationship with '
        "the customer, as **Remove reseller relationship** does (Global admins only), audited "
        "as the app. Refused (409) while any of your subscriptions for the customer is active: "
        "suspend them first. The customer stays on your list, its relationship `none`.",
        # Written out: the serializer would be documented as partial, as for every PATCH, and
        # this body needs its one field.
        request={
            "application/json": {
                "type": "object",
                "properties": {"relationshipToPartner": {"type": "string", "enum": ["none"]}},
                "required": ["relationshipToPartner"],
                "additionalProperties": False,
            }
        },
        responses={200: CustomerSerializer, **errors(400, 403, 404, 409)},
        parameters=[CUSTOMER_ID],
    )
    def patch(self, request, customer_id):
        customer = customer_of(self.partner, customer_id)
        CustomerPatchSerializer(data=request.data).is_valid(raise_exception=True)
        # The service asks the decision the remove-reseller page shows, under its lock.
        services.reseller_relationship_end(
            partner=self.partner, customer=customer, ended_by=request.user, by=self.partner
        )
        row = CustomerListRow.objects.get(partner=self.partner, customer=customer)
        return Response(
            _customer(row.customer_id, row.customer_name, row.customer_domain, row.state)
        )


# --- A customer's relationships and agreements ------------------------------------------------

# PartnerRelationship.relationshipType of the partner itself: none for a direct-bill partner.
RELATIONSHIP_TYPES = {
    CspRole.DIRECT: "None",
    CspRole.INDIRECT_PROVIDER: "IsIndirectCloudSolutionProviderOf",
    CspRole.INDIRECT_RESELLER: "IsIndirectResellerOf",
}


class PartnerRelationshipSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The partner's tenant id.")
    name = serializers.CharField()
    mpnId = serializers.CharField(help_text="The PartnerID.")
    location = serializers.CharField(help_text="The partner's country (ISO 3166 code).")
    relationshipType = serializers.ChoiceField(choices=list(RELATIONSHIP_TYPES.values()))
    state = serializers.CharField(help_text='"active" (an ended relationship is not listed).')
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


class PrimaryContactSerializer(serializers.Serializer):
    firstName = serializers.CharField()
    lastName = serializers.CharField()
    email = serializers.EmailField()
    phoneNumber = serializers.CharField(allow_blank=True)


class AgreementSerializer(serializers.Serializer):
    primaryContact = PrimaryContactSerializer(
        required=False,
        help_text="Who accepted: only on an acceptance that came through you (your request, "
        "or your attestation).",
    )
    dateAgreed = serializers.DateField()
    type = serializers.ChoiceField(choices=["MicrosoftCustomerAgreement"])
    templateId = serializers.CharField(help_text="The agreement's version, e.g. MCA 2026-09.")
    attributes = AttributesSerializer()


class AgreementCollectionSerializer(serializers.Serializer):
    totalCount = serializers.IntegerField()
    items = AgreementSerializer(many=True)
    attributes = AttributesSerializer()


class PrimaryContactInSerializer(serializers.Serializer):
    firstName = serializers.CharField(max_length=100, validators=[validate_single_line])
    lastName = serializers.CharField(max_length=100, validators=[validate_single_line])
    email = serializers.EmailField(max_length=254)
    phoneNumber = serializers.CharField(
        max_length=40, required=False, default="", allow_blank=True, validators=[validate_phone]
    )


class AgreementInSerializer(serializers.Serializer):
    primaryContact = PrimaryContactInSerializer()
    dateAgreed = serializers.DateField()
    type = serializers.ChoiceField(choices=["MicrosoftCustomerAgreement"])
    templateId = serializers.CharField(required=False, allow_blank=True, max_length=40)


class CustomerAgreementsView(AppView):
    action = Action.VIEW_CUSTOMERS
    # Attesting is what Add customer does for a new customer: the same roles.
    method_actions = {"POST": Action.ADD_CUSTOMER}

    @extend_schema(
        operation_id="customer_agreement_attest",
        summary="Attest that the customer accepted the Microsoft Customer Agreement",
        description="The partner's word, with who accepted and when, for the current version. "
        "A second attestation of the same version by the same partner is refused (409).",
        request=AgreementInSerializer,
        responses={201: AgreementSerializer, **errors(400, 403, 404, 409)},
        parameters=[CUSTOMER_ID],
    )
    def post(self, request, customer_id):
        customer = customer_of(self.partner, customer_id)
        body = AgreementInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data, contact = body.validated_data, body.validated_data["primaryContact"]
        acceptance = services.agreement_attest(
            partner=self.partner,
            customer=customer,
            attested_by=request.user,
            attestation=services.Attestation(
                signer=services.Signer(
                    first_name=contact["firstName"],
                    last_name=contact["lastName"],
                    email=contact["email"],
                    phone=contact["phoneNumber"],
                ),
                accepted_on=data["dateAgreed"],
            ),
        )
        return Response(
            {
                "primaryContact": {
                    "firstName": acceptance.signer_first_name,
                    "lastName": acceptance.signer_last_name,
                    "email": acceptance.signer_email,
                    "phoneNumber": acceptance.signer_phone,
                },
                "dateAgreed": acceptance.accepted_on.isoformat(),
                "type": "MicrosoftCustomerAgreement",
                "templateId": acceptance.version,
                "attributes": {"objectType": "Agreement"},
            },
            status=201,
        )

    @extend_schema(
        operation_id="customer_agreements_list",
        summary="The customer's acceptances of the Microsoft Customer Agreement",
        description="Newest first: each version accepted in the admin center, with a "
        "reseller request, or attested by a partner. Purchases need the current version.",
        responses={200: AgreementCollectionSerializer, **errors(403, 404)},
        parameters=[CUSTOMER_ID],
    )
    def get(self, request, customer_id):
        partner = self.partner
        customer = customer_of(partner, customer_id)
        acceptances = (
            AgreementAcceptance.objects.filter(customer=customer)
            .annotate(request_partner=F("invitation__partner"))
            .order_by("-recorded_at", "-pk")
        )
        items = []
        for acceptance in acceptances:
            item = {
                "dateAgreed": acceptance.accepted_on.isoformat(),
                "type": "MicrosoftCustomerAgreement",
                "templateId": acceptance.version,
                "attributes": {"objectType": "Agreement"},
            }
            # Who signed is the customer's business, and that of the partner it came through.
            if partner.pk in (acceptance.attested_by_partner_id, acceptance.request_partner):
                item["primaryContact"] = {
                    "firstName": acceptance.signer_first_name,
                    "lastName": acceptance.signer_last_name,
                    "email": acceptance.signer_email,
                    "phoneNumber": acceptance.signer_phone,
                }
            items.append(item)
        return Response(
            {
                "totalCount": len(items),
                "items": items,
                "attributes": {"objectType": "Collection"},
            }
        )


# --- The partner's relationship requests ------------------------------------------------------


class RequestListQuerySerializer(serializers.Serializer):
    DATE_PROBLEM = gettext_lazy("Use an ISO 8601 date or time: 2026-01-31 or 2026-01-31T12:00:00Z.")
    SIZE_PROBLEM = lazy_sentence(gettext_noop("Use a size from 1 to %(max)s."), max=MAX_SIZE)

    size = serializers.IntegerField(
        required=False,
        default=DEFAULT_SIZE,
        min_value=1,
        max_value=MAX_SIZE,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), SIZE_PROBLEM),
    )
    status = serializers.ChoiceField(
        choices=InvitationStatus.values,
        required=False,
        error_messages={
            "invalid_choice": lazy_sentence(
                # Translators: %(statuses)s lists the API's status values, as they are.
                gettext_noop("Use one of: %(statuses)s."),
                statuses=", ".join(s.value for s in InvitationStatus),
            )
        },
    )
    createdAfter = serializers.DateTimeField(
        required=False, error_messages={"invalid": DATE_PROBLEM}
    )
    createdBefore = serializers.DateTimeField(
        required=False, error_messages={"invalid": DATE_PROBLEM}
    )


class AnsweredBySerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    companyName = serializers.CharField()
    domain = serializers.CharField()


class RelationshipRequestItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    label = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=[*InvitationStatus.values])
    delegatedAdmin = serializers.BooleanField(
        help_text="Whether it includes delegated administration permissions."
    )
    createdDateTime = serializers.DateTimeField()
    expiresDateTime = serializers.DateTimeField()
    answeredDateTime = serializers.DateTimeField(required=False)
    answeredBy = AnsweredBySerializer(
        required=False, help_text="The organization that accepted or declined it."
    )
    attributes = AttributesSerializer()


class RelationshipRequestCollectionSerializer(serializers.Serializer):
    items = RelationshipRequestItemSerializer(many=True)
    links = LinksSerializer()
    attributes = AttributesSerializer()


def _relationship_request(invitation: Invitation, now) -> dict:
    item = {
        "id": str(invitation.pk),
        "label": invitation.label,
        "status": invitation.display_status(now).value,
        "delegatedAdmin": invitation.include_admin,
        "createdDateTime": iso(invitation.created_at),
        "expiresDateTime": iso(invitation.expires_at),
        "attributes": {"objectType": "RelationshipRequest"},
    }
    if invitation.answered_at:
        item["answeredDateTime"] = iso(invitation.answered_at)
    if tenant := invitation.answered_tenant:
        item["answeredBy"] = {
            "tenantId": str(tenant.pk),
            "companyName": tenant.name,
            "domain": tenant.domain,
        }
    return item


class RelationshipRequestListView(AppView):
    action = Action.VIEW_REQUESTS

    @extend_schema(
        operation_id="relationship_requests_list",
        summary="Your reseller relationship requests, a page at a time",
        description="Newest first, as on **Relationship requests**. `status`: "
        + ", ".join(s.value for s in InvitationStatus)
        + ". `createdAfter` (at or after) and `createdBefore` (before) take an ISO 8601 date "
        f"or time. `links.next` carries the continuation token (the `{CONTINUATION_HEADER}` "
        "header, or `continuationToken`); a page costs the same wherever it is.",
        parameters=[
            RequestListQuerySerializer,
            OpenApiParameter("continuationToken", str),
            OpenApiParameter(
                CONTINUATION_HEADER, str, location=OpenApiParameter.HEADER, required=False
            ),
        ],
        responses={200: RelationshipRequestCollectionSerializer, **errors(400, 403)},
    )
    def get(self, request):
        params = RequestListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        now = timezone.now()
        invitations = Invitation.objects.filter(partner=self.partner).select_related(
            "answered_tenant"
        )
        if "status" in data:
            invitations = invitations.with_status(InvitationStatus(data["status"]), now)
        if "createdAfter" in data:
            invitations = invitations.filter(created_at__gte=data["createdAfter"])
        if "createdBefore" in data:
            invitations = invitations.filter(created_at__lt=data["createdBefore"])
        token = request.headers.get(CONTINUATION_HEADER) or request.query_params.get(
            "continuationToken"
        )
        page = keyset_page(
            invitations, order=["-created_at", "-id"], cursor=token, size=data["size"]
        )
        query = urlencode(
            {
                key: request.query_params[key]
                for key in ("size", "status", "createdAfter", "createdBefore")
                if key in request.query_params
            }
        )
        uri = "/v1/relationshiprequests" + (f"?{query}" if query else "")
        links = {"self": {"uri": uri, "method": "GET", "headers": []}}
        if page.next_cursor:
            links["next"] = {
                "uri": f"{uri}{'&' if query else '?'}seekOperation=Next",
                "method": "GET",
                "headers": [{"key": CONTINUATION_HEADER, "value": page.next_cursor}],
            }
        return Response(
            {
                "items": [_relationship_request(i, now) for i in page.object_list],
                "links": links,
                "attributes": {"objectType": "Collection"},
            }
        )


class RelationshipRequestRevokeView(AppView):
    action = Action.REVOKE_REQUEST

    @extend_schema(
        operation_id="relationship_request_revoke",
        summary="Revoke a relationship request",
        description="As **Revoke** on the request: its link stops working at once. Refused "
        "(409) once it was answered, revoked or has expired.",
        request=None,
        responses={200: RelationshipRequestItemSerializer, **errors(403, 404, 409)},
        parameters=[OpenApiParameter("request_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    )
    def post(self, request, request_id):
        invitation = get_object_or_404(Invitation, pk=request_id, partner=self.partner)
        invitation = services.invitation_revoke(invitation=invitation, revoked_by=request.user)
        return Response(_relationship_request(invitation, timezone.now()))


# --- The reference page -----------------------------------------------------------------------


def reference(request):
    """The OpenAPI document as a page: every operation with its parameters and answers, rendered
    here (no script, nothing from elsewhere), linked to the document itself."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    return render(
        request,
        "api/reference.html",
        {"info": document["info"], "operations": operations},
    )
