"""The customer's portal: the Microsoft 365 admin center, or for US Government tenants the
Microsoft Office Admin portal (the same views under a second URL namespace)."""

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from admin_center.forms import AcceptAgreementForm, OrganizationProfileForm
from tenancy import rules, services
from tenancy.http import CustomerRequest, MemberRequest, client_ip
from tenancy.models import (
    AUTO_EXTEND_DAYS,
    DEFAULT_DAYS,
    DEFAULT_ROLES,
    AdminRelationship,
    AdminRelationshipStatus,
    AgreementAcceptance,
    AuditEvent,
    Invitation,
    ResellerRelationship,
    Subscription,
    Tenant,
    sorted_roles,
)
from tenancy.paging import keyset_page
from tenancy.portals import Portal, admin_portal_for, portal_for_namespace
from tenancy.rules import Action
from tenancy.services import refusals
from tenancy.text import day, number, possessive, short_day
from tenancy.throttle import LINK_OPEN_RATE, rate_limited

# The requests this browser session opened by their link: the token is exchanged for this
# session entry at once, so no later URL, Referer or log line carries it.
OPENED_REQUESTS = "admin_center.opened_requests"
MAX_OPENED_REQUESTS = 20


def remember_opened(request: HttpRequest, key: str, pk) -> None:
    """Note in the session that it opened the request `pk` by its link (the latest 20)."""
    opened = [i for i in request.session.get(key, []) if i != str(pk)]
    request.session[key] = [*opened, str(pk)][-MAX_OPENED_REQUESTS:]


def was_opened(request: HttpRequest, key: str, pk) -> bool:
    return str(pk) in request.session.get(key, [])


def forget_opened(request: HttpRequest, key: str, pk) -> None:
    request.session[key] = [i for i in request.session.get(key, []) if i != str(pk)]


def current_portal(request: HttpRequest) -> Portal:
    return portal_for_namespace(request.resolver_match.namespace)


def portal_url(request: HttpRequest, name: str, *args) -> str:
    return reverse(f"admin_center:{name}", args=args, current_app=request.resolver_match.namespace)


def customer_view(action: Action | None = None):
    """Signed in, a member of a customer organization of this portal's cloud, allowed `action`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            portal = current_portal(request)
            membership = request.membership
            if membership is None or not membership.tenant.is_customer:
                raise PermissionDenied(
                    _(
                        # Translators: %(portal)s is "Microsoft 365 admin center" or "Microsoft
                        # Office Admin portal" (product names, kept in English).
                        "The %(portal)s is for customer organizations. Sign in with an account "
                        "of your organization."
                    )
                    % {"portal": portal.name}
                )
            tenant = membership.tenant
            if tenant.cloud != portal.cloud:
                # Each organization has one admin portal: send it there.
                home = admin_portal_for(tenant.cloud)
                return redirect(
                    home.link(request, reverse("admin_center:home", current_app=home.namespace))
                )
            if action is not None:
                rules.require(membership, action)
            request.customer = tenant
            request.portal = portal
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def request_page(view):
    """Headers for every page of a relationship request: the token's neighbourhood."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


# --- Opening a request ------------------------------------------------------------------


@require_GET
@rate_limited("link-open", **LINK_OPEN_RATE)
@request_page
@sensitive_variables("token")
def invitation_open(request: MemberRequest):
    """The link in the partner's email. Trade its token for a session entry, then redirect to
    a token-free page."""
    token = request.GET.get("token", "")
    invitation = services.invitation_find(token)
    partner_param = request.GET.get("partnerId")
    if invitation is None or (partner_param and partner_param != str(invitation.partner_id)):
        return refusal_page(request, refusals.unknown_link_refusal())
    provider_param = request.GET.get("indirectCSPId") or None
    provider_id = str(invitation.indirect_provider_id) if invitation.is_indirect else None
    if provider_param != provider_id:
        # The indirect provider is part of what the customer agrees to: a link that names
        # another one (or drops it) is refused before anything is recorded.
        return refusal_page(request, refusals.changed_link_refusal(invitation))
    remember_opened(request, OPENED_REQUESTS, invitation.pk)
    services.invitation_record_open(
        invitation=invitation, user=request.user, membership=request.membership
    )
    return redirect(portal_url(request, "partner-invitation", invitation.pk))


def refusal_page(
    request: MemberRequest, refusal: refusals.Refusal, invitation: Invitation | None = None
):
    return render(
        request,
        "admin_center/refusal.html",
        {"refusal": refusal, "invitation": invitation},
        status=refusal.status,
    )


def _opened_invitation(request: MemberRequest, invitation_id) -> Invitation | None:
    """The request, if this session opened its link; None otherwise (a guessed id finds nothing)."""
    if not was_opened(request, OPENED_REQUESTS, invitation_id):
        return None
    return (
        Invitation.objects.select_related(
            "partner__country__market", "indirect_provider__country__market", "created_by"
        )
        .filter(pk=invitation_id)
        .first()
    )


def _answerable(request: MemberRequest, invitation_id):
    """(invitation, refusal response or None, sign-in redirect or None) for the request pages."""
    invitation = _opened_invitation(request, invitation_id)
    if invitation is None:
        return None, refusal_page(request, refusals.not_opened_refusal())
    portal = current_portal(request)
    if invitation.partner.cloud != portal.cloud:
        return invitation, refusal_page(request, refusals.wrong_portal_refusal(invitation))
    if not request.user.is_authenticated:
        return invitation, redirect_to_login(request.get_full_path())
    membership = request.membership
    refusal = refusals.invitation_refusal(
        invitation=invitation, membership=membership, portal_cloud=portal.cloud
    )
    if refusal is not None:
        refusals.invitation_record_refusal(
            invitation=invitation, refusal=refusal, user=request.user, membership=membership
        )
        return invitation, refusal_page(request, refusal, invitation)
    return invitation, None


def _request_context(
    request: MemberRequest, invitation: Invitation, form: AcceptAgreementForm
) -> dict:
    customer = request.membership.tenant
    partner = invitation.partner
    names = {
        "partner": partner.name,
        "partner_possessive": possessive(partner.name),
        "customer": customer.name,
        "customer_possessive": possessive(customer.name),
    }
    if invitation.is_indirect:
        heading = _("Review the request from %(partner)s and %(provider)s") % {
            **names,
            "provider": invitation.indirect_provider.name,
        }
        lead = None
    else:
        heading = _("Review %(partner_possessive)s request") % names
        if invitation.include_admin:
            lead = (
                _(
                    # Translators: %(partner)s and %(customer)s are company names; the English
                    # sentence uses %(customer_possessive)s ("Contoso's"), elsewhere the
                    # plain name.
                    "%(partner)s asks to become %(customer_possessive)s reseller and to hold "
                    "admin roles in your organization."
                )
                % names
            )
        else:
            # Translators: %(customer_possessive)s is the name, with "'s" in English
            # only: in other languages the plain name.
            lead = _("%(partner)s asks to become %(customer_possessive)s reseller.") % names
    return {
        "invitation": invitation,
        "heading": heading,
        "lead": lead,
        "no_address": _(
            # Translators: %(customer_possessive)s is the name, with "'s" in English
            # only: in other languages the plain name.
            "The Microsoft Customer Agreement is signed for an organization with a billing "
            "address, and %(customer_possessive)s profile has none yet."
        )
        % names,
        "admin_agents": ngettext(
            # Translators: the English sentence uses %(partner_possessive)s ("Contoso's"),
            # elsewhere the plain name; %(days)s is 730, %(extend_days)s 180.
            "%(partner_possessive)s agents would hold these Microsoft Entra roles in your "
            "organization for %(days)s day, extended by %(extend_days)s days each time unless "
            "you end it. You can remove them at any time on Partner relationships.",
            "%(partner_possessive)s agents would hold these Microsoft Entra roles in your "
            "organization for %(days)s days, extended by %(extend_days)s days each time unless "
            "you end it. You can remove them at any time on Partner relationships.",
            DEFAULT_DAYS,
        )
        % {**names, "days": number(DEFAULT_DAYS), "extend_days": number(AUTO_EXTEND_DAYS)},
        "partner": invitation.partner,
        "customer": customer,
        "form": form,
        "agreement_version": settings.CUSTOMER_AGREEMENT_VERSION,
        "admin_roles": sorted_roles(DEFAULT_ROLES),
        "admin_days": DEFAULT_DAYS,
        "extend_days": AUTO_EXTEND_DAYS,
        "needs_profile": not rules.billing_address_first(customer),
        "can_edit_profile": rules.may(request.membership.roles, Action.EDIT_ORGANIZATION_PROFILE),
        "profile_url": f"{portal_url(request, 'organization-profile')}?next={request.path}",
        "provider": invitation.indirect_provider,
        # A two-tier request to a customer the provider already resells to adds the reseller.
        "provider_already": invitation.is_indirect
        and ResellerRelationship.objects.active()
        .between(invitation.indirect_provider, customer)
        .exists(),
    }


@never_cache
@require_GET
@request_page
def partner_invitation(request: MemberRequest, invitation_id):
    invitation, stop = _answerable(request, invitation_id)
    if stop is not None:
        return stop
    form = AcceptAgreementForm(user=request.user)
    return render(
        request, "admin_center/invitation.html", _request_context(request, invitation, form)
    )


@require_POST
@request_page
def invitation_accept(request: MemberRequest, invitation_id):
    invitation, stop = _answerable(request, invitation_id)
    if stop is not None:
        return stop
    form = AcceptAgreementForm(request.POST, user=request.user)
    context = _request_context(request, invitation, form)
    if context["needs_profile"]:
        messages.error(request, rules.billing_address_first(request.membership.tenant).reason)
        return redirect(context["profile_url"])
    if not form.is_valid():
        return render(request, "admin_center/invitation.html", context, status=400)
    try:
        accepted = services.invitation_accept(
            invitation_id=invitation.pk,
            user=request.user,
            signer=form.signer(),
            client_ip=client_ip(request),
            portal_cloud=current_portal(request).cloud,
        )
    except services.InvitationRefused as refused:
        return refusal_page(request, refused.refusal, invitation)
    except services.ServiceError as error:
        # The billing address went missing since the page was checked (another admin's edit).
        messages.error(request, error.message)
        return redirect(context["profile_url"])
    forget_opened(request, OPENED_REQUESTS, invitation.pk)
    names = {"partner": invitation.partner.name}
    if invitation.is_indirect:
        names["provider"] = invitation.indirect_provider.name
        if accepted.provider_added and invitation.include_admin:
            message = _(
                "%(provider)s is now your organization's reseller, and %(partner)s your indirect "
                "reseller through %(provider)s and holds the admin roles you granted."
            )
        elif accepted.provider_added:
            message = _(
                "%(provider)s is now your organization's reseller, and %(partner)s your indirect "
                "reseller through %(provider)s."
            )
        elif invitation.include_admin:
            message = _(
                "%(provider)s was already your reseller, so only %(partner)s was added, as your "
                "indirect reseller through %(provider)s and holds the admin roles you granted."
            )
        else:
            message = _(
                "%(provider)s was already your reseller, so only %(partner)s was added, as your "
                "indirect reseller through %(provider)s."
            )
    elif invitation.include_admin:
        message = _(
            "%(partner)s is now your organization's reseller and holds the admin roles you granted."
        )
    else:
        message = _("%(partner)s is now your organization's reseller.")
    messages.success(request, message % names)
    return redirect(portal_url(request, "partner-relationships"))


@require_http_methods(["GET", "POST"])
@request_page
def invitation_decline(request: MemberRequest, invitation_id):
    invitation, stop = _answerable(request, invitation_id)
    if stop is not None:
        return stop
    if request.method == "GET":
        partner = invitation.partner.name
        return render(
            request,
            "admin_center/decline.html",
            {
                "invitation": invitation,
                # Translators: %(partner_possessive)s is the name, with "'s" in English
                # only: in other languages the plain name.
                "heading": _("Decline %(partner_possessive)s request?")
                % {"partner": partner, "partner_possessive": possessive(partner)},
            },
        )
    try:
        services.invitation_decline(
            invitation_id=invitation.pk,
            user=request.user,
            portal_cloud=current_portal(request).cloud,
        )
    except services.InvitationRefused as refused:
        return refusal_page(request, refused.refusal, invitation)
    forget_opened(request, OPENED_REQUESTS, invitation.pk)
    messages.success(
        request,
        _(
            "You declined the request from %(partner)s. We've let them know; nothing changed for "
            "your organization."
        )
        % {"partner": invitation.partner.name},
    )
    return redirect(portal_url(request, "partner-relationships"))


@require_GET
def agreement(request: MemberRequest):
    """The Microsoft Customer Agreement in full (our plain-language stand-in)."""
    return render(
        request,
        "admin_center/agreement.html",
        {"agreement_version": settings.CUSTOMER_AGREEMENT_VERSION},
    )


# --- Signed-in pages --------------------------------------------------------------------


@require_GET
@customer_view()
def home(request: CustomerRequest):
    customer = request.customer
    return render(
        request,
        "admin_center/home.html",
        {
            "reseller_count": ResellerRelationship.objects.active()
            .filter(customer=customer)
            .count(),
            "agreement": AgreementAcceptance.objects.filter(customer=customer).first(),
            "needs_profile": not customer.has_billing_address,
        },
    )


# The stylesheet's badge for each status an admin relationship shows.
_ADMIN_BADGES = {
    AdminRelationshipStatus.APPROVAL_PENDING: "pending",
    AdminRelationshipStatus.ACTIVE: "active",
    AdminRelationshipStatus.EXPIRING: "pending",
    AdminRelationshipStatus.EXPIRED: "expired",
    AdminRelationshipStatus.DECLINED: "declined",
    AdminRelationshipStatus.WITHDRAWN: "revoked",
    AdminRelationshipStatus.TERMINATED: "ended",
}


@dataclass(frozen=True)
class AdminRelationshipRow:
    """An admin relationship as Partner relationships shows it: its status and, with the date
    that matters for that status, one sentence ("Ends on …", "Ended by Contoso on …",
    "Declined on …")."""

    relationship: AdminRelationship
    status: AdminRelationshipStatus
    when: str

    @property
    def badge(self) -> str:
        return _ADMIN_BADGES.get(self.status, "")

    @property
    def in_force(self) -> bool:
        return self.status in (AdminRelationshipStatus.ACTIVE, AdminRelationshipStatus.EXPIRING)

    @property
    def waiting(self) -> bool:
        return self.status == AdminRelationshipStatus.APPROVAL_PENDING


def _admin_row(relationship: AdminRelationship, customer: Tenant, now) -> AdminRelationshipRow:
    S = AdminRelationshipStatus
    status = relationship.display_status(now)
    if status in (S.ACTIVE, S.EXPIRING):
        date = relationship.current_end(now)
        if relationship.auto_extend:
            when = ngettext(
                "Ends on %(date)s, then extended by %(days)s day each time",
                "Ends on %(date)s, then extended by %(days)s days each time",
                AUTO_EXTEND_DAYS,
            )
        else:
            when = _("Ends on %(date)s")
    elif status == S.APPROVAL_PENDING:
        when, date = _("Waiting for approval until %(date)s"), relationship.request_expires_at()
    elif status == S.EXPIRED and relationship.approved_at is None:
        when, date = _("Request expired on %(date)s"), relationship.request_expires_at()
    elif status == S.EXPIRED:
        when, date = _("Ended on %(date)s"), relationship.ends_at
    elif status == S.TERMINATED and relationship.closed_by_tenant_id == customer.pk:
        when, date = _("Ended by your organization on %(date)s"), relationship.closed_at
    elif status == S.TERMINATED:
        when, date = _("Ended by %(partner)s on %(date)s"), relationship.closed_at
    elif status == S.DECLINED:
        when, date = _("Declined on %(date)s"), relationship.closed_at
    elif status == S.WITHDRAWN:
        when, date = _("Withdrawn on %(date)s"), relationship.closed_at
    else:
        # Translators: %(status)s is an admin relationship's status ("Declined").
        when, date = _("%(status)s on %(date)s"), relationship.closed_at
    when %= {
        "date": short_day(date),
        "days": number(AUTO_EXTEND_DAYS),
        "partner": relationship.partner.name,
        "status": status.label,
    }
    return AdminRelationshipRow(relationship, status, when)


@require_GET
@customer_view(Action.VIEW_PARTNER_RELATIONSHIPS)
def partner_relationships(request: CustomerRequest):
    """Each partner with its reseller relationship and every admin relationship it asked this
    organization for (drafts aside). Two queries whatever the number of partners."""
    customer = request.customer
    now = timezone.now()
    resellers = ResellerRelationship.objects.filter(customer=customer).select_related(
        "partner__country", "indirect_provider"
    )
    admins = (
        AdminRelationship.objects.filter(customer=customer)
        .exclude(status=AdminRelationshipStatus.CREATED)
        .select_related("partner__country")
    )
    partners: dict = {}

    def row_of(partner: Tenant) -> dict:
        return partners.setdefault(
            partner.pk, {"partner": partner, "reseller": None, "ended": [], "admins": []}
        )

    for reseller in resellers:
        row = row_of(reseller.partner)
        if reseller.is_active:
            row["reseller"] = reseller
        else:
            row["ended"].append(reseller)
    for admin in admins:
        row_of(admin.partner)["admins"].append(_admin_row(admin, customer, now))
    current, past = [], []
    for row in partners.values():
        # In force first, then waiting for approval, then the ended ones; newest first in each.
        row["admins"].sort(key=lambda admin: (not admin.in_force, not admin.waiting))
        ongoing = any(admin.in_force or admin.waiting for admin in row["admins"])
        (current if row["reseller"] or ongoing else past).append(row)
    return render(
        request,
        "admin_center/partner_relationships.html",
        {
            "active": sorted(current, key=lambda row: row["partner"].name.lower()),
            "past": sorted(past, key=lambda row: row["partner"].name.lower()),
            "extend_days": AUTO_EXTEND_DAYS,
        },
    )


def _related_partner(request: CustomerRequest, partner_id) -> Tenant:
    """A partner that has or had a relationship of either kind with this customer, else 404.

    Ended relationships count, so that a form posted twice gets the service's answer (the
    relationship already ended), not a 404.
    """
    customer = request.customer
    partner = (
        Tenant.objects.partners()
        .filter(pk=partner_id)
        .filter(
            pk__in=ResellerRelationship.objects.filter(customer=customer)
            .values("partner")
            .union(AdminRelationship.objects.filter(customer=customer).values("partner"))
        )
        .first()
    )
    if partner is None:
        raise Http404(_("No such partner relationship."))
    return partner


@require_http_methods(["GET", "POST"])
@customer_view(Action.END_RESELLER)
def end_reseller(request: CustomerRequest, partner_id):
    partner = _related_partner(request, partner_id)
    customer = request.customer
    if request.method == "POST":
        try:
            services.reseller_relationship_end(
                partner=partner, customer=customer, ended_by=request.user, by=customer
            )
        except services.ServiceError as error:
            messages.error(request, error.message)
            if error.code == "active_subscriptions":
                return redirect(portal_url(request, "end-reseller", partner.pk))
            return redirect(portal_url(request, "partner-relationships"))
        messages.success(
            request,
            _("%(partner)s is no longer your organization's reseller.") % {"partner": partner.name},
        )
        return redirect(portal_url(request, "partner-relationships"))
    if not ResellerRelationship.objects.active().between(partner, customer).exists():
        raise Http404(_("This partner is not your reseller."))
    body = [
        _("%(partner)s will no longer be able to buy subscriptions for your organization.")
        % {"partner": partner.name},
        _("Admin roles, if the partner holds any, are not affected; remove them separately."),
    ]
    return render(
        request,
        "admin_center/confirm.html",
        {
            "title": _("End the reseller relationship with %(partner)s?")
            % {"partner": partner.name},
            "body": body,
            "button": _("End reseller relationship"),
            "blocked": rules.may_end_reseller(
                partner=partner,
                customer=customer,
                active_subscriptions=Subscription.objects.active()
                .filter(partner=partner, customer=customer)
                .count(),
            ).reason,
        },
    )


@require_http_methods(["GET", "POST"])
@customer_view(Action.EDIT_ORGANIZATION_PROFILE)
def organization_profile(request: CustomerRequest):
    customer = request.customer
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not (
        next_url.startswith("/")
        and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None)
        and urlsplit(next_url).path.startswith(portal_url(request, "home"))
    ):
        next_url = ""
    initial = {name: getattr(customer, name) for name in Tenant.PROFILE_FIELDS}
    form = OrganizationProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.organization_profile_update(
            tenant=customer, updated_by=request.user, **form.profile()
        )
        messages.success(request, _("Your organization profile was saved."))
        return redirect(next_url or portal_url(request, "organization-profile"))
    return render(
        request,
        "admin_center/organization_profile.html",
        {"form": form, "next": next_url},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_http_methods(["GET", "POST"])
@customer_view(Action.ACCEPT_AGREEMENT)
def agreements(request: CustomerRequest):
    customer = request.customer
    acceptances = AgreementAcceptance.objects.filter(customer=customer).select_related(
        "attested_by_partner"
    )
    current = settings.CUSTOMER_AGREEMENT_VERSION
    accepted = next((acceptance for acceptance in acceptances if acceptance.is_current), None)
    has_current = accepted is not None
    form = AcceptAgreementForm(request.POST or None, user=request.user)
    if request.method == "POST" and (has_current or form.is_valid()):
        if not has_current:
            # Another admin's post may have got there first (the service then records nothing
            # and returns theirs): `recorded_by` tells.
            accepted = services.agreement_accept(
                customer=customer,
                user=request.user,
                signer=form.signer(),
                client_ip=client_ip(request),
            )
        if has_current or accepted.recorded_by_id != request.user.pk:
            messages.info(
                request,
                _(
                    # Translators: %(version)s is the agreement's version ("MCA 2026-09"),
                    # %(signer)s the name of the person who accepted it.
                    "Your organization had already accepted the Microsoft Customer Agreement "
                    "(%(version)s): %(signer)s, %(date)s. Nothing changed."
                )
                % {
                    "version": current,
                    "signer": accepted.signer_name,
                    "date": day(accepted.accepted_on),
                },
            )
        else:
            messages.success(
                request,
                _("Your organization accepted the Microsoft Customer Agreement (%(version)s).")
                % {"version": current},
            )
        return redirect(portal_url(request, "agreements"))
    return render(
        request,
        "admin_center/agreements.html",
        {
            "acceptances": acceptances,
            "has_current": has_current,
            "agreement_version": current,
            "form": form,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
@customer_view(Action.VIEW_ORGANIZATION_ACTIVITY)
def activity(request: CustomerRequest):
    events = AuditEvent.objects.filter(customer=request.customer).select_related(
        "partner", "actor_tenant"
    )
    page = keyset_page(events, order=["-at", "-id"], cursor=request.GET.get("cursor"), size=50)
    return render(request, "admin_center/activity.html", {"page": page})
