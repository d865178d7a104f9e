"""Kinds of request link: one abstraction for every request a partner sends a customer's admin.

A kind says how its requests are found by their token, linked, emailed, described to the rule
that decides whether someone can answer them (tenancy.rules.request_refusals), and recorded when
they are opened, refused or sent. The admin center's answer flow (admin_center.views.request_pages)
serves every kind through this; the kinds' own answers (accept, approve, decline) are services of
their own modules, which lock the request through `lock_for_answer`.

Two kinds today: a reseller relationship request (`RESELLER_REQUESTS`, Invitation) and an admin
relationship request (`ADMIN_REQUESTS`, AdminRelationship). Another is a subclass naming its
model, its link and its email, and what its answer asks.
"""

import functools

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy import rules
from tenancy.choices import AdminRelationshipStatus, AuditAction, InvitationStatus
from tenancy.effects.email import REQUEST_KINDS, EmailContent, render_email
from tenancy.effects.record import record
from tenancy.entra_roles import DEFAULT_DAYS, DEFAULT_ROLES, sorted_roles
from tenancy.models import (
    AdminRelationship,
    AuditEvent,
    Invitation,
    Membership,
    Partnership,
    Tenant,
)
from tenancy.portals import admin_portal_for
from tenancy.prepared import Prepared
from tenancy.rules import request_refusals as request_rules
from tenancy.rules.request_refusals import (
    ADMIN,
    RESELLER,
    Refusal,
    RequestFacts,
    ResellerNow,
    Stage,
    Viewer,
)
from tenancy.services.base import ServiceError
from tenancy.services.partnerships import partnership_decision
from tenancy.services.relationships import active_reseller_relationship

# Why a request's link can't be shown again (its email neither).
LINK_UNAVAILABLE = gettext_lazy(
    "This request's link can no longer be shown: the key it was made with was retired. Revoke "
    "the request and make a new one."
)


class RequestRefused(ServiceError):
    """The request can't be answered by this person here: `refusal` says why."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message, code=refusal.code)
        self.refusal = refusal


class RequestKind:
    """What every kind of request link shares. A subclass names its model and wording, and
    describes its requests (`facts`); the hooks below add what only its answer asks."""

    name: str
    model: type
    # Which sentences of tenancy.rules.request_refusals: RESELLER's, ADMIN's, or the general ones.
    wording: str = ""
    # The related rows every page of a request reads, fetched with it.
    related: tuple[str, ...] = ("partner__country__market",)
    email_template: str
    opened_action: AuditAction | None = None
    refused_action: AuditAction
    sent_action: AuditAction
    # Refusals that are no news worth a line: the person already knows, or nothing was there.
    unrecorded_refusals = frozenset({"unknown", "answered_here"})

    def __init__(self):
        REQUEST_KINDS[self.name] = self

    # --- Finding one ---------------------------------------------------------------------------

    def get(self, pk):
        return self._by_pk.first(pk=pk)

    @functools.cached_property
    def _by_pk(self) -> Prepared:
        # Each view of a request's page reads it so: compiled once (tenancy.prepared).
        return Prepared(
            lambda pk: self.model.objects.select_related(*self.related).filter(pk=pk),
            pk=self.model._meta.pk,
        )

    def find(self, token: object, **lookups):
        """The request the link's token was issued for (`lookups`: what else the link names);
        None for an unknown or mangled token, or one issued for another request."""
        return self.model.objects.select_related(*self.related).with_token(token, **lookups)

    def lock(self, pk):
        """The request's row, locked for the rest of the transaction (None if there is none)."""
        return (
            self.model.objects.select_for_update(of=("self",))
            .select_related(*self.related)
            .filter(pk=pk)
            .first()
        )

    # --- Its link and email --------------------------------------------------------------------

    def link_refusal(self, request, query) -> Refusal | None:
        """Whether the link's own parameters (beyond the token) match the request's."""
        return None

    def email(self, request) -> EmailContent | None:
        """The templated email that carries the link, in the request's language; None once its
        link can no longer be shown."""
        link = request.link()
        if link is None:
            return None
        context = {
            "partner": request.partner,
            "portal": admin_portal_for(request.partner.cloud),
            "link": link,
            **self.email_context(request),
        }
        return render_email(self.email_template, context, language=request.language)

    def email_context(self, request) -> dict:
        return {"request": request}

    # --- What the rule is told ---------------------------------------------------------------

    def facts(self, request, now=None) -> RequestFacts:
        raise NotImplementedError

    def waiting(self, request) -> bool:
        return self.facts(request).stage == Stage.WAITING

    def answer_action(self, request) -> rules.Action:
        return rules.Action.ACCEPT_RESELLER

    def before_viewer(self, request) -> Refusal | None:
        """What stands in the way whoever answers (a two-tier request's partnership)."""
        return None

    def eligibility(self, request, customer: Tenant) -> Refusal | None:
        """Whether the partner may serve this customer at all (at least: in one cloud)."""
        return request_rules.eligibility_refusal(
            rules.same_cloud(request.partner, customer), partner=request.partner, customer=customer
        )

    def after_role(self, request, customer: Tenant) -> Refusal | None:
        """What the customer already has of the partner."""
        return None

    def refusal(self, *, request, membership: Membership | None, portal_cloud: str, now=None):
        """Every reason this member cannot answer this request in this portal, the first one
        wins; None when they may. `now`: when it is answered (the demo data's history)."""
        viewer = Viewer(membership, portal_cloud)
        facts = self.facts(request, now)
        found = request_rules.state_refusal(facts, viewer, self.wording) or self.before_viewer(
            request
        )
        found = found or request_rules.viewer_refusal(facts, viewer, self.wording)
        if found is not None:
            return found
        customer = viewer.customer
        return (
            self.eligibility(request, customer)
            or request_rules.role_refusal(viewer, self.answer_action(request), self.wording)
            or self.after_role(request, customer)
        )

    # --- Records -----------------------------------------------------------------------------

    def partner_and_details(self, request) -> tuple[Tenant, dict]:
        """The partner an audit line of this request goes to, and what identifies the request."""
        return request.partner, {}

    def record_open(self, *, request, membership: Membership) -> None:
        """A signed-in person of a customer organization views the request: the partner sees
        "opened" from then on. The partner's own people looking at it do not count, nor does a
        mail gateway fetching the link (it isn't signed in)."""
        if self.opened_action is None or membership is None:
            return
        if not membership.tenant.is_customer:
            return
        if request.opened_at is not None:  # read as opened: it stays so (each later view)
            return
        now = timezone.now()
        with transaction.atomic():
            first = self.model.objects.filter(pk=request.pk, opened_at__isnull=True).update(
                opened_at=now
            )
            if first:
                request.opened_at = now
                partner, details = self.partner_and_details(request)
                record(
                    self.opened_action,
                    actor=membership.user,
                    actor_tenant=membership.tenant,
                    partner=partner,
                    customer=membership.tenant,
                    invitation=request if isinstance(request, Invitation) else None,
                    details=details,
                )

    def record_refusal(self, *, request, refusal: Refusal, user, membership) -> None:
        """One audit line per organization (or, outside one, per person) and reason; loading the
        page again, or twice at once, adds nothing."""
        if refusal.code in self.unrecorded_refusals:
            return
        customer = membership.tenant if membership and membership.tenant.is_customer else None
        partner, details = self.partner_and_details(request)
        with transaction.atomic():
            # The request's row lock: two loads at once check one after the other, and the
            # second finds the first's line.
            self.lock(request.pk)
            seen = AuditEvent.objects.filter(
                action=self.refused_action,
                partner=partner,
                customer=customer,
                details__reason=refusal.code,
                **{f"details__{key}": value for key, value in details.items()},
            )
            if isinstance(request, Invitation):
                seen = seen.filter(invitation=request)
            if customer is None:
                seen = seen.filter(actor=user)
            if seen.exists():
                return
            record(
                self.refused_action,
                actor=user,
                actor_tenant=membership.tenant if membership else None,
                partner=partner,
                customer=customer,
                invitation=request if isinstance(request, Invitation) else None,
                details={**details, **refusal.recorded()},
            )

    def send(self, *, request, sent_by, to: str) -> None:
        """Email the request to `to` once the transaction that records it has committed."""
        if not self.waiting(request):
            raise ServiceError(self.not_waiting_message(), code="not_open")
        if request.token() is None:
            raise ServiceError(LINK_UNAVAILABLE, code="link_unavailable")
        partner, details = self.partner_and_details(request)
        with transaction.atomic():
            record(
                self.sent_action,
                actor=sent_by,
                actor_tenant=partner,
                partner=partner,
                customer=getattr(request, "customer", None),
                invitation=request if isinstance(request, Invitation) else None,
                details={**details, "to": to},
                subject=request,
            )

    def not_waiting_message(self) -> str:
        return _("Only a pending request can be sent.")

    # --- Answering -----------------------------------------------------------------------------

    def lock_for_answer(self, request_id, user, portal_cloud: str, now=None):
        """(the request, the answering customer), both locked, once the rule lets this user
        answer; RequestRefused otherwise.

        The request's row is locked first, then the customer's: every answer takes them in this
        order, so two answers of one request — or of two requests by one customer — run one
        after the other, and the second sees what the first did."""
        request = self.lock(request_id)
        if request is None:
            raise RequestRefused(request_rules.unknown_link())
        self.lock_more(request)
        membership = Membership.objects.of_user(user)
        if membership is not None and membership.tenant.is_customer:
            Tenant.objects.select_for_update().filter(pk=membership.tenant_id).first()
        refusal = self.refusal(
            request=request, membership=membership, portal_cloud=portal_cloud, now=now
        )
        if refusal is not None:
            raise RequestRefused(refusal)
        return request, membership.tenant

    def lock_more(self, request) -> None:
        """Rows an answer of this kind locks after the request's and before the customer's."""


# --- Reseller relationship requests ("New relationship") ---------------------------------------


class ResellerRequests(RequestKind):
    name = "reseller"
    model = Invitation
    wording = RESELLER
    related = ("partner__country__market", "indirect_provider__country__market", "created_by")
    email_template = "invitation"
    opened_action = AuditAction.INVITATION_OPENED
    refused_action = AuditAction.INVITATION_REFUSED
    sent_action = AuditAction.INVITATION_SENT
    unrecorded_refusals = frozenset({"unknown", "answered_here", "already_reseller"})

    def link_refusal(self, request: Invitation, query) -> Refusal | None:
        """The link keeps the partner's and (two tiers) the provider's ids: one that names
        another partner is no link of its; one whose indirect provider isn't the request's is
        refused before anything is recorded (the provider is part of what the customer agrees
        to)."""
        partner_param = query.get("partnerId")
        if partner_param and partner_param != str(request.partner_id):
            return request_rules.unknown_link()
        named = query.get("indirectCSPId") or None
        expected = str(request.indirect_provider_id) if request.is_indirect else None
        if named != expected:
            return request_rules.changed_link(
                request.partner, named=named is not None, expected=expected is not None
            )
        return None

    def email_context(self, request: Invitation) -> dict:
        return {
            "invitation": request,
            "provider": request.indirect_provider,
            "admin_roles": sorted_roles(DEFAULT_ROLES),
            "admin_days": DEFAULT_DAYS,
        }

    def facts(self, request: Invitation, now=None) -> RequestFacts:
        status = request.status
        common = {"partner": request.partner}
        if status == InvitationStatus.REVOKED:
            return RequestFacts(stage=Stage.WITHDRAWN, withdrawn_at=request.revoked_at, **common)
        if status in (InvitationStatus.ACCEPTED, InvitationStatus.DECLINED):
            return RequestFacts(
                stage=Stage.ANSWERED,
                declined=status == InvitationStatus.DECLINED,
                answered_tenant_id=request.answered_tenant_id,
                answered_by=request.answered_by.get_username() if request.answered_by else "",
                answered_at=request.answered_at,
                **common,
            )
        if request.is_expired(now):
            return RequestFacts(stage=Stage.EXPIRED, expires_at=request.expires_at, **common)
        return RequestFacts(stage=Stage.WAITING, **common)

    def answer_action(self, request: Invitation) -> rules.Action:
        return rules.accept_action(request.include_admin)

    def before_viewer(self, request: Invitation) -> Refusal | None:
        provider = request.indirect_provider
        if provider is None:
            return None
        return request_rules.partnership_refusal(
            partnership_decision(provider, request.partner),
            partner=request.partner,
            provider=provider,
        )

    def eligibility(self, request: Invitation, customer: Tenant) -> Refusal | None:
        decision = rules.may_resell(request.partner, customer)
        if decision and request.indirect_provider is not None:
            decision = rules.may_resell(request.indirect_provider, customer)
        return request_rules.eligibility_refusal(
            decision, partner=request.partner, customer=customer
        )

    def after_role(self, request: Invitation, customer: Tenant) -> Refusal | None:
        relationship = active_reseller_relationship(request.partner, customer)
        if relationship is None:
            return None
        adds_admin_roles = (
            request.include_admin
            and not AdminRelationship.objects.in_force()
            .filter(partner=request.partner, customer=customer)
            .exists()
        )
        return request_rules.existing_reseller_refusal(
            partner=request.partner,
            provider=request.indirect_provider,
            now=ResellerNow(relationship.created_at, relationship.indirect_provider),
            adds_admin_roles=adds_admin_roles,
        )

    def lock_more(self, request: Invitation) -> None:
        if request.is_indirect:
            # A two-tier request: the partnership next, before the customer, as Remove
            # partnership takes them (partnership, then each customer), so the two never wait
            # on each other in a circle; whichever comes second sees what the first did.
            list(
                Partnership.objects.select_for_update()
                .filter(provider=request.indirect_provider_id, reseller=request.partner_id)
                .order_by("pk")
                .values_list("pk", flat=True)
            )

    def waiting(self, request: Invitation) -> bool:
        return request.is_open


RESELLER_REQUESTS = ResellerRequests()


# --- Admin relationship requests (GDAP) --------------------------------------------------------


class AdminRequests(RequestKind):
    name = "admin"
    model = AdminRelationship
    wording = ADMIN
    related = (
        "partner__country__market",
        "customer",
        "created_by",
        "finalized_by",
        "approved_by",
        "closed_by",
    )
    email_template = "admin_relationship_request"
    refused_action = AuditAction.ADMIN_REFUSED
    sent_action = AuditAction.ADMIN_SENT

    def lock_more(self, request: AdminRelationship) -> None:
        """An upgrade's answer ends the relationship it replaces: that row is locked next,
        before the customer's, as Terminate and auto-extend take them (relationship, then
        customer), so no two of them wait on each other."""
        if request.upgrade_of_id is not None:
            AdminRelationship.objects.select_for_update().filter(pk=request.upgrade_of_id).first()

    def find(self, token: object, **lookups):
        return super().find(token, pk=lookups["relationship_id"])

    def email_context(self, request: AdminRelationship) -> dict:
        return {"relationship": request}

    def facts(self, request: AdminRelationship, now=None) -> RequestFacts:
        status = request.status
        common = {"partner": request.partner, "name": request.name, "intended": request.customer}
        if status == AdminRelationshipStatus.CREATED:
            return RequestFacts(stage=Stage.DRAFT, **common)
        if status == AdminRelationshipStatus.WITHDRAWN:
            return RequestFacts(stage=Stage.WITHDRAWN, withdrawn_at=request.closed_at, **common)
        if status != AdminRelationshipStatus.APPROVAL_PENDING:
            declined = status == AdminRelationshipStatus.DECLINED
            who = request.closed_by if declined else request.approved_by
            return RequestFacts(
                stage=Stage.ANSWERED,
                declined=declined,
                answered_tenant_id=request.customer_id,
                answered_by=who.get_username() if who else "",
                answered_at=request.closed_at if declined else request.approved_at,
                **common,
            )
        if request.display_status(now) == AdminRelationshipStatus.EXPIRED:
            return RequestFacts(
                stage=Stage.EXPIRED, expires_at=request.request_expires_at(), **common
            )
        return RequestFacts(stage=Stage.WAITING, **common)

    def answer_action(self, request: AdminRelationship) -> rules.Action:
        return rules.Action.APPROVE_ADMIN_RELATIONSHIP

    def eligibility(self, request: AdminRelationship, customer: Tenant) -> Refusal | None:
        return request_rules.eligibility_refusal(
            rules.may_administer(request.partner, customer),
            partner=request.partner,
            customer=customer,
        )

    def partner_and_details(self, request: AdminRelationship) -> tuple[Tenant, dict]:
        return request.partner, {"relationship": str(request.id), "name": request.name}

    def not_waiting_message(self) -> str:
        return _("Only a request waiting for approval can be sent.")


ADMIN_REQUESTS = AdminRequests()


def request_email(request) -> EmailContent | None:
    """A request's own email, whatever its kind."""
    kind = RESELLER_REQUESTS if isinstance(request, Invitation) else ADMIN_REQUESTS
    return kind.email(request)
