"""Bulk jobs under `/v1/bulkJobs`, on the services the bulk request pages call: a job that asks
many customers at once for an admin relationship from a template (chosen by a Customer list
filter, or a list of domains and Microsoft IDs), its preview, its progress, its results a page at
a time, and cancelling it. A job that takes one step on many admin relationships (auto-extend on
or off, remove Global Administrator, upgrade) starts here too, its body read by
api.resources.admin_relationship_actions. The jobs that send requests again or withdraw them
(started on the pages) are listed and shown too."""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, status
from rest_framework.response import Response

from api.base import (
    AppView,
    AttributesSerializer,
    LinkSerializer,
    LinksSerializer,
    TextField,
    continued_page,
    errors,
    iso,
    lazy_sentence,
    query_data,
)
from api.errors import UNKNOWN as UNKNOWN_REFERENCE
from api.resources.admin_relationship_actions import (
    MAX_RELATIONSHIP_IDS,
    RELATIONSHIP_JOB_KINDS,
    RelationshipJobCreateSerializer,
    relationship_job_requested,
    relationship_job_start,
)
from api.resources.templates import (
    PAGE_PARAMETERS,
    PageQuerySerializer,
    StrictSerializer,
    collection,
)
from tenancy import rules, selectors, services
from tenancy.choices import BulkItemState, BulkJobKind, BulkJobStatus, CustomerState
from tenancy.models import BulkJob, BulkJobItem, Tenant
from tenancy.rules import Action
from tenancy.services.bulk_selection import (
    PASTE_MAX_LINES,
    SKIP_REASONS,
    UNKNOWN,
    UNREADABLE,
    item_reason,
)

BASE = "/v1/bulkJobs"
ORDER = ["-created_at", "-id"]
RELATIONSHIP_FILTERS = [*CustomerState.values, selectors.WITH_ADMIN]
# The selection's problems a request can fix (the rest are refusals: 409, `empty` among them:
# a filter that matches no customer today is the data's answer, not a malformed request).
SELECTION_PROBLEMS = ("paste_size",)
# Each kind of job as the API names it.
KIND_NAMES = {
    BulkJobKind.REQUEST: "request",
    BulkJobKind.REMIND: "remind",
    BulkJobKind.WITHDRAW: "withdraw",
} | {kind: name for name, kind in RELATIONSHIP_JOB_KINDS.items()}


def job_of(partner: Tenant, job_id) -> BulkJob:
    """One of the partner's jobs, with its template version; anyone else's is a 404."""
    job = selectors.bulk_job_of(partner, job_id)
    job.partner = partner
    return job


# --- Shapes ----------------------------------------------------------------------------------


class TemplateRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField(help_text="The version the job's requests are made from.")


class BulkJobLinksSerializer(serializers.Serializer):
    self = LinkSerializer()
    results = LinkSerializer(help_text="The job's results, a page at a time.")


class BulkJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(
        choices=list(KIND_NAMES.values()),
        help_text="request: ask customers for admin relationships from a template; remind: send "
        "waiting requests again; withdraw: withdraw waiting requests; autoExtendOn, "
        "autoExtendOff, removeGlobalAdministrator, upgrade: that step on each admin "
        "relationship chosen.",
    )
    status = serializers.ChoiceField(choices=BulkJobStatus.values)
    template = TemplateRefSerializer(required=False, help_text="A request job's template.")
    sendEmail = serializers.BooleanField(
        help_text="Whether each request is emailed to the customer's Global administrators."
    )
    total = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    done = serializers.IntegerField(help_text="succeeded + skipped + failed, of total.")
    createdDateTime = serializers.DateTimeField()
    finishedDateTime = serializers.DateTimeField(required=False)
    cancelledDateTime = serializers.DateTimeField(required=False)
    links = BulkJobLinksSerializer()
    attributes = AttributesSerializer()


class BulkJobCollectionSerializer(serializers.Serializer):
    items = BulkJobSerializer(many=True)
    links = LinksSerializer()
    attributes = AttributesSerializer()


class CustomerFilterSerializer(StrictSerializer):
    q = TextField(
        required=False,
        default="",
        allow_blank=True,
        max_length=200,
        help_text="A company name or domain (any part of it), or a Microsoft ID.",
    )
    relationship = serializers.ChoiceField(
        choices=RELATIONSHIP_FILTERS,
        required=False,
        default="",
        allow_blank=True,
        help_text=f"{', '.join(CustomerState.values)}; or {selectors.WITH_ADMIN}: with an "
        "admin relationship not yet ended.",
        error_messages={
            "invalid_choice": lazy_sentence(
                # Translators: %(values)s lists the API's values, as they are.
                gettext_noop("Use one of: %(values)s."),
                values=", ".join(RELATIONSHIP_FILTERS),
            )
        },
    )
    indirect = serializers.UUIDField(
        required=False,
        help_text="Indirect providers: the tenant id of one of your indirect resellers (the "
        "customers it sells to through you). Indirect resellers: one of your indirect "
        "providers (the customers served through it).",
    )


class BulkJobCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(
        choices=["request"],
        required=False,
        default="request",
        help_text="request (the default): a request job. For a job on admin relationships, see "
        "the other body.",
        error_messages={
            "invalid_choice": lazy_sentence(
                # Translators: %(values)s lists the API's values, as they are.
                gettext_noop("Use one of: %(values)s."),
                values=", ".join(["request", *RELATIONSHIP_JOB_KINDS]),
            )
        },
    )
    templateId = serializers.UUIDField(
        help_text="One of your templates: its latest version is what each request asks for.",
        error_messages={"required": gettext_lazy("Choose one of your organization's templates.")},
    )
    filter = CustomerFilterSerializer(
        required=False,
        help_text="The customers a search of your Customer list finds, however many ({} for "
        "all of them). Either this or `customers`.",
    )
    customers = serializers.ListField(
        child=TextField(max_length=300),
        required=False,
        allow_empty=False,
        max_length=PASTE_MAX_LINES,
        help_text="Domains and Microsoft IDs, as a list pasted on the page: an entry that names "
        "none of your customers is a skipped result (`lineNumber`: its position, from 1).",
    )
    sendEmail = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Email each request to the customer's Global administrators.",
    )

    def to_internal_value(self, data):
        # A kind misspelt is what is wrong with the body, whatever else it holds.
        if isinstance(data, dict) and "kind" in data:
            if relationship_job_requested(data):  # a preview's body: POST /v1/bulkJobs reads it
                raise serializers.ValidationError(
                    # Translators: request is the API's value, as it is.
                    {"kind": _("Only a request job has a preview.")}
                )
            try:
                self.fields["kind"].run_validation(data["kind"])
            except serializers.ValidationError as problem:
                raise serializers.ValidationError({"kind": problem.detail}) from None
        return super().to_internal_value(data)

    def validate_templateId(self, value):
        try:
            return selectors.template_of(self.context["partner"], value)
        except Http404:
            raise serializers.ValidationError(
                ErrorDetail(
                    _("Choose one of your organization's templates."), code=UNKNOWN_REFERENCE
                )
            ) from None

    def validate(self, attrs):
        if ("filter" in attrs) == ("customers" in attrs):
            raise serializers.ValidationError(
                {
                    "filter": _(
                        # Translators: filter and customers are the API's field names, as they are.
                        "Choose the customers with either filter (a Customer list search) or "
                        "customers (a list of domains and Microsoft IDs)."
                    )
                }
            )
        return attrs


class SkippedReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(SKIP_REASONS))
    description = TextField()
    count = serializers.IntegerField()


class SkippedLineSerializer(serializers.Serializer):
    lineNumber = serializers.IntegerField(help_text="Its position in `customers`, from 1.")
    value = TextField()
    reason = serializers.ChoiceField(choices=[UNREADABLE, UNKNOWN])


class BulkJobPreviewSerializer(serializers.Serializer):
    template = TemplateRefSerializer()
    total = serializers.IntegerField()
    requests = serializers.IntegerField(help_text="The customers that would get a request.")
    skipped = serializers.IntegerField()
    skippedReasons = SkippedReasonSerializer(many=True, help_text="Most common first.")
    skippedLines = SkippedLineSerializer(
        many=True, help_text="The entries of `customers` that name none of your customers."
    )
    attributes = AttributesSerializer()


class ResultCustomerSerializer(serializers.Serializer):
    tenantId = serializers.UUIDField()
    domain = TextField()
    companyName = TextField()


class ResultReasonSerializer(serializers.Serializer):
    code = TextField()
    description = TextField()


class BulkJobResultSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=BulkItemState.values)
    customer = ResultCustomerSerializer(required=False)
    lineNumber = serializers.IntegerField(
        required=False, help_text="An entry of `customers` that named none of your customers."
    )
    line = TextField(required=False, help_text="That entry, as it was sent.")
    reason = ResultReasonSerializer(required=False, help_text="Why it was skipped or failed.")
    relationshipId = serializers.UUIDField(
        required=False,
        help_text="The admin relationship request made (a request job, or an upgrade's), the "
        "request sent again or withdrawn, or the relationship changed (or skipped).",
    )
    relationshipLink = serializers.URLField(
        required=False, help_text="The link to a request made, for the customer to approve."
    )
    processedDateTime = serializers.DateTimeField(required=False)


class BulkJobResultCollectionSerializer(serializers.Serializer):
    items = BulkJobResultSerializer(many=True)
    links = LinksSerializer()
    attributes = AttributesSerializer()


class ResultQuerySerializer(PageQuerySerializer):
    state = serializers.ChoiceField(
        choices=BulkItemState.values,
        required=False,
        error_messages={
            "invalid_choice": lazy_sentence(
                # Translators: %(values)s lists the API's values, as they are.
                gettext_noop("Use one of: %(values)s."),
                values=", ".join(BulkItemState.values),
            )
        },
    )


def _link(uri: str) -> dict:
    return {"uri": uri, "method": "GET", "headers": []}


def job_body(job: BulkJob) -> dict:
    uri = f"{BASE}/{job.pk}"
    body = {
        "id": str(job.pk),
        "kind": KIND_NAMES.get(job.kind, job.kind),
        "status": job.status,
        "sendEmail": job.send_email,
        "total": job.total,
        "succeeded": job.succeeded,
        "skipped": job.skipped,
        "failed": job.failed,
        "done": job.done,
        "createdDateTime": iso(job.created_at),
        "links": {"self": _link(uri), "results": _link(f"{uri}/results")},
        "attributes": {"objectType": "BulkJob"},
    }
    if version := job.template_version:
        body["template"] = {"id": str(version.template_id), "version": version.number}
    if job.finished_at:
        body["finishedDateTime"] = iso(job.finished_at)
    if job.cancelled_at:
        body["cancelledDateTime"] = iso(job.cancelled_at)
    return body


def result_body(item: BulkJobItem, job: BulkJob) -> dict:
    body = {"state": item.state}
    if customer := item.customer:
        body["customer"] = {
            "tenantId": str(customer.pk),
            "domain": customer.domain,
            "companyName": customer.name,
        }
    elif item.key.startswith("line:"):
        body["lineNumber"] = int(item.key.removeprefix("line:"))
        body["line"] = item.line
    if item.reason:
        body["reason"] = {"code": item.reason, "description": item_reason(item.reason)}
    if relationship := item.relationship:
        body["relationshipId"] = str(relationship.pk)
        # A request made (by a request job, or an upgrade's): its link.
        if job.kind in REQUEST_KINDS and item.state == BulkItemState.DONE:
            relationship.partner = job.partner  # the link's portal is the partner's cloud's
            if link := relationship.link():
                body["relationshipLink"] = link
    if item.processed_at:
        body["processedDateTime"] = iso(item.processed_at)
    return body


REQUEST_KINDS = (BulkJobKind.REQUEST, BulkJobKind.UPGRADE)
JOB_ID = OpenApiParameter("job_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


# --- Endpoints -------------------------------------------------------------------------------


class SelectionMixin:
    """A request job's body, read: its template's latest version and who it is for."""

    def selection(self, request) -> tuple[dict, services.Selection]:
        body = BulkJobCreateSerializer(data=request.data, context={"partner": self.partner})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "customers" in data:
            # One entry a line, whatever it holds (its line number is its position).
            lines = (" ".join(entry.splitlines()) for entry in data["customers"])
            return data, services.Selection(pasted="\n".join(lines))
        search = data["filter"]
        indirect = search.get("indirect")
        if indirect is not None and not rules.partnership_side(self.partner):
            raise serializers.ValidationError(
                {
                    "filter": _(
                        # Translators: indirect is the API's field name, as it is.
                        "indirect is for indirect providers and indirect resellers."
                    )
                }
            )
        return data, services.Selection(
            search=selectors.CustomerFilter(
                q=search["q"].strip(),
                relationship=search["relationship"],
                indirect=str(indirect) if indirect else "",
            )
        )

    @staticmethod
    def problem(refusal: services.ServiceError, data: dict) -> Exception:
        """The selection's problems are the request's (400, naming its field); the rest are
        refusals (409)."""
        if refusal.code in SELECTION_PROBLEMS:
            field = "customers" if "customers" in data else "filter"
            return serializers.ValidationError({field: refusal.message})
        return refusal


class BulkJobListView(SelectionMixin, AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS
    method_actions = {"POST": Action.MANAGE_ADMIN_RELATIONSHIPS}

    @extend_schema(
        operation_id="bulk_jobs_list",
        summary="Your bulk jobs, a page at a time",
        description="Newest first: request jobs, and the jobs that send requests again or "
        "withdraw them. `links.next` carries the continuation token.",
        parameters=[PageQuerySerializer, *PAGE_PARAMETERS],
        responses={200: BulkJobCollectionSerializer, **errors(400, 403)},
    )
    def get(self, request):
        size = query_data(PageQuerySerializer, request)["size"]
        jobs = BulkJob.objects.filter(partner=self.partner).select_related("template_version")
        page = continued_page(jobs, request, order=ORDER, size=size)
        query = {"size": size} if "size" in request.query_params else {}
        return Response(
            collection(
                [job_body(job) for job in page.object_list],
                path=BASE,
                query=query,
                next_cursor=page.next_cursor,
            )
        )

    @extend_schema(
        operation_id="bulk_jobs_create",
        summary="Ask many customers for an admin relationship, or act on many relationships",
        description="As **Request in bulk**, audited as the app: a job that makes one request "
        "from the template's latest version for each customer chosen, with `filter` (a search "
        "of your Customer list) or `customers` (domains and Microsoft IDs), on the worker. A "
        "customer that already has an active or waiting relationship from that version, is in "
        "another cloud, or is no longer your customer is skipped, as is an entry naming none of "
        "your customers: each is a result with its reason. With `kind` autoExtendOn, "
        "autoExtendOff, removeGlobalAdministrator or upgrade, a job that takes that step on "
        "each admin relationship chosen by `relationshipIds` (at most "
        f"{MAX_RELATIONSHIP_IDS:,}), `expiring` (a window of the Expiring page) or, to upgrade, "
        "`templateId` (its relationships on older versions); one it can't be taken on is a "
        "skipped result with the reason. Follow it at `Location`; a `bulk-job-completed` "
        "webhook event says when it is done.",
        request=PolymorphicProxySerializer(
            component_name="BulkJobCreateBody",
            serializers=[BulkJobCreateSerializer, RelationshipJobCreateSerializer],
            resource_type_field_name=None,
        ),
        responses={201: BulkJobSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request):
        if relationship_job_requested(request.data):
            job = relationship_job_start(request, self.partner)
        else:
            data, selection = self.selection(request)
            try:
                job = services.bulk_request_start(
                    membership=request.membership,
                    selection=selection,
                    version=data["templateId"].latest,
                    send_email=data["sendEmail"],
                )
            except services.ServiceError as refusal:
                raise self.problem(refusal, data) from None
        job = job_of(self.partner, job.pk)
        response = Response(job_body(job), status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(reverse("api:bulk-job", args=[job.pk]))
        return response


class BulkJobPreviewView(SelectionMixin, AppView):
    action = Action.MANAGE_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="bulk_jobs_preview",
        summary="What a request job would do, without starting it",
        description="The same body as `POST /v1/bulkJobs`: how many customers would get a "
        "request, and how many would be skipped and why (counted over the whole selection, "
        "however large).",
        request=BulkJobCreateSerializer,
        responses={200: BulkJobPreviewSerializer, **errors(400, 403, 404)},
    )
    def post(self, request):
        data, selection = self.selection(request)
        version = data["templateId"].latest
        try:
            preview = services.bulk_request_preview(
                partner=self.partner, selection=selection, version=version
            )
        except services.ServiceError as refusal:
            raise self.problem(refusal, data) from None
        lines = [(n, value, UNREADABLE) for n, value in preview.unreadable]
        lines += [(n, value, UNKNOWN) for n, value in preview.unknown]
        return Response(
            {
                "template": {"id": str(version.template_id), "version": version.number},
                "total": preview.total,
                "requests": preview.requests,
                "skipped": preview.skipped_total,
                "skippedReasons": [
                    {"code": code, "description": sentence, "count": count}
                    for code, sentence, count in preview.reasons()
                ],
                "skippedLines": [
                    {"lineNumber": n, "value": value, "reason": reason}
                    for n, value, reason in sorted(lines)
                ],
                "attributes": {"objectType": "BulkJobPreview"},
            }
        )


class BulkJobDetailView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="bulk_job_get",
        summary="One bulk job: its status and progress",
        parameters=[JOB_ID],
        responses={200: BulkJobSerializer, **errors(403, 404)},
    )
    def get(self, request, job_id):
        return Response(job_body(job_of(self.partner, job_id)))


class BulkJobCancelView(AppView):
    action = Action.MANAGE_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="bulk_job_cancel",
        summary="Cancel a running bulk job",
        description="As **Cancel** on the job's page, audited as the app: what is done stays "
        "done, what is not yet done is never done. Refused (409) once the job has ended.",
        parameters=[JOB_ID],
        request=None,
        responses={200: BulkJobSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, job_id):
        job = job_of(self.partner, job_id)
        services.bulk_job_cancel(membership=request.membership, job=job)
        return Response(job_body(job_of(self.partner, job_id)))


class BulkJobResultsView(AppView):
    action = Action.VIEW_ADMIN_RELATIONSHIPS

    @extend_schema(
        operation_id="bulk_job_results",
        summary="A bulk job's results, a page at a time",
        description="One per customer (or entry of `customers` that named none), in the order "
        "the job does them: waiting (`pending`), `done`, `skipped` or `failed` with the "
        "reason. `state` keeps one of them. `links.next` carries the continuation token; a "
        "page costs the same wherever it is, however large the job.",
        parameters=[JOB_ID, ResultQuerySerializer, *PAGE_PARAMETERS],
        responses={200: BulkJobResultCollectionSerializer, **errors(400, 403, 404)},
    )
    def get(self, request, job_id):
        job = job_of(self.partner, job_id)
        data = query_data(ResultQuerySerializer, request)
        items = BulkJobItem.objects.filter(job=job).select_related("customer", "relationship")
        if "state" in data:
            items = items.filter(state=data["state"])
        page = continued_page(items, request, order=["id"], size=data["size"])
        query = {key: data[key] for key in ("size", "state") if key in request.query_params}
        return Response(
            collection(
                [result_body(item, job) for item in page.object_list],
                path=f"{BASE}/{job.pk}/results",
                query=query,
                next_cursor=page.next_cursor,
            )
        )
