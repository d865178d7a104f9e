"""A customer's acceptances of the Microsoft Customer Agreement (`GET`), and the partner's
attestation of one (`POST`)."""

from datetime import UTC

from django.db.models import F
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from api.base import CUSTOMER_ID, AppView, AttributesSerializer, TextField, customer_of, errors
from tenancy import services
from tenancy.models import AgreementAcceptance
from tenancy.rules import Action
from tenancy.validators import validate_phone, validate_single_line


class PrimaryContactSerializer(serializers.Serializer):
    firstName = TextField()
    lastName = TextField()
    email = serializers.EmailField()
    phoneNumber = TextField(allow_blank=True)


class AgreementSerializer(serializers.Serializer):
    primaryContact = PrimaryContactSerializer(
        required=False,
        help_text="Who accepted: only on an acceptance that came through you (your request, "
        "or your attestation).",
    )
    dateAgreed = serializers.DateField()
    type = serializers.ChoiceField(choices=["MicrosoftCustomerAgreement"])
    templateId = TextField(help_text="The agreement's version, e.g. MCA 2026-09.")
    attributes = AttributesSerializer()


class AgreementCollectionSerializer(serializers.Serializer):
    totalCount = serializers.IntegerField()
    items = AgreementSerializer(many=True)
    attributes = AttributesSerializer()


class PrimaryContactInSerializer(serializers.Serializer):
    firstName = TextField(max_length=100, validators=[validate_single_line])
    lastName = TextField(max_length=100, validators=[validate_single_line])
    email = serializers.EmailField(max_length=254)
    phoneNumber = TextField(
        max_length=40, required=False, default="", allow_blank=True, validators=[validate_phone]
    )


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "date-time", "example": "2026-11-30T08:00:00Z"},
            {"type": "string", "format": "date", "example": "2026-11-30"},
        ]
    }
)
class DateAgreedField(serializers.DateField):
    """Partner Center's `dateAgreed`: a UTC date-time (2026-11-30T08:00:00Z, or with
    milliseconds: 2026-11-30T08:00:00.000Z), or a date. The day is kept, as it is in UTC (a
    date-time without an offset is read as UTC)."""

    default_error_messages = {
        "invalid": gettext_lazy(
            "Use a UTC date and time for dateAgreed, such as 2026-11-30T08:00:00Z, or a date, "
            "such as 2026-11-30."
        )
    }

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value.strip()) > len("2026-11-30"):
            try:
                moment = parse_datetime(value.strip())
            except ValueError:  # well formed, but no such day or time (2026-02-30T…)
                moment = None
            if moment is None:
                self.fail("invalid")
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC)
            return moment.date()
        return super().to_internal_value(value)


class AgreementInSerializer(serializers.Serializer):
    primaryContact = PrimaryContactInSerializer()
    dateAgreed = DateAgreedField(
        help_text="The day the customer accepted: a UTC date-time as Partner Center writes it "
        "(2026-11-30T08:00:00Z, or 2026-11-30T08:00:00.000Z), or a date (2026-11-30). Only the "
        "day is kept, as it is in UTC."
    )
    type = serializers.ChoiceField(choices=["MicrosoftCustomerAgreement"])
    templateId = TextField(required=False, allow_blank=True, max_length=40)


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
