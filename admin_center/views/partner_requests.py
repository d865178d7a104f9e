"""The two kinds of partner request a customer's administrator answers here: a reseller
relationship request (accept it, with the Microsoft Customer Agreement, or decline it) and an
admin relationship request ("Approve all", or decline). The flow is `RequestPages`'; these say
what each page shows and what each answer does.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from admin_center.access import current_portal, portal_url
from admin_center.forms import AcceptAgreementForm
from admin_center.views.pending_requests import pending_together
from admin_center.views.request_pages import RequestPages
from tenancy import rules, services
from tenancy.entra_roles import AUTO_EXTEND_DAYS, DEFAULT_DAYS, DEFAULT_ROLES, sorted_roles
from tenancy.models import AdminRelationship, Invitation, ResellerRelationship
from tenancy.rules import Action
from tenancy.text import day, number, possessive
from tenancy.web import fragments
from tenancy.web.http import MemberRequest, client_ip


class ResellerRequestPages(RequestPages):
    kind = services.RESELLER_REQUESTS
    session_key = "admin_center.opened_requests"
    open_name = "invitation-open"
    page_name = "partner-invitation"
    accept_name = "invitation-accept"
    decline_name = "invitation-decline"
    page_template = "admin_center/invitation.html"
    decline_template = "admin_center/decline.html"

    def shown(self, request: MemberRequest, found: Invitation) -> list:
        """The request with its partners and who sent it, the customer, the signer's name and
        email the form starts with, whether the indirect provider is already the reseller, and
        the agreement's version: the page shows nothing else."""
        user = request.user
        return [
            fragments.row_values(found),
            fragments.row_values(request.membership.tenant),
            [user.pk, user.first_name, user.last_name, user.email],
            self.provider_already(request, found),
            settings.CUSTOMER_AGREEMENT_VERSION,
        ]

    def provider_already(self, request: MemberRequest, found: Invitation) -> bool:
        """A two-tier request to a customer the provider already resells to adds the
        reseller. Read once a request (its stamp, then its page)."""
        if not hasattr(found, "_provider_already"):
            found._provider_already = (
                found.is_indirect
                and ResellerRelationship.objects.active()
                .between(found.indirect_provider, request.membership.tenant)
                .exists()
            )
        return found._provider_already

    def context(self, request: MemberRequest, found: Invitation, form=None) -> dict:
        customer = request.membership.tenant
        partner = found.partner
        names = {
            "partner": partner.name,
            "partner_possessive": possessive(partner.name),
            "customer": customer.name,
            "customer_possessive": possessive(customer.name),
        }
        if found.is_indirect:
            heading = _("Review the request from %(partner)s and %(provider)s") % {
                **names,
                "provider": found.indirect_provider.name,
            }
            lead = None
        else:
            heading = _("Review %(partner_possessive)s request") % names
            if found.include_admin:
                lead = (
                    _(
                        # Translators: %(partner)s and %(customer)s are company names; the
                        # English sentence uses %(customer_possessive)s ("Contoso's"), elsewhere
                        # the plain name.
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
            "invitation": found,
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
                "organization for %(days)s day, extended by %(extend_days)s days each time "
                "unless you end it. You can remove them at any time on Partner relationships.",
                "%(partner_possessive)s agents would hold these Microsoft Entra roles in your "
                "organization for %(days)s days, extended by %(extend_days)s days each time "
                "unless you end it. You can remove them at any time on Partner relationships.",
                DEFAULT_DAYS,
            )
            % {**names, "days": number(DEFAULT_DAYS), "extend_days": number(AUTO_EXTEND_DAYS)},
            "partner": partner,
            "customer": customer,
            "form": form or AcceptAgreementForm(user=request.user),
            "agreement_version": settings.CUSTOMER_AGREEMENT_VERSION,
            "admin_roles": sorted_roles(DEFAULT_ROLES),
            "admin_days": DEFAULT_DAYS,
            "extend_days": AUTO_EXTEND_DAYS,
            "needs_profile": not rules.billing_address_first(customer),
            "can_edit_profile": rules.may(
                request.membership.roles, Action.EDIT_ORGANIZATION_PROFILE
            ),
            "profile_url": f"{portal_url(request, 'organization-profile')}?next={request.path}",
            "provider": found.indirect_provider,
            "provider_already": self.provider_already(request, found),
        }

    def accepted(self, request: MemberRequest, found: Invitation):
        form = AcceptAgreementForm(request.POST, user=request.user)
        context = self.context(request, found, form)
        if context["needs_profile"]:
            messages.error(request, rules.billing_address_first(request.membership.tenant).reason)
            return redirect(context["profile_url"])
        if not form.is_valid():
            return render(request, self.page_template, context, status=400)
        try:
            acceptance = services.invitation_accept(
                invitation_id=found.pk,
                user=request.user,
                signer=form.signer(),
                client_ip=client_ip(request),
                portal_cloud=current_portal(request).cloud,
            )
        except services.RequestRefused:
            raise  # the flow shows the refusal's page
        except services.ServiceError as error:
            # The billing address went missing since the page was checked (another admin's edit).
            messages.error(request, error.message)
            return redirect(context["profile_url"])
        return self.done(request, found, _accepted_message(found, acceptance))

    def decline_context(self, request: MemberRequest, found: Invitation) -> dict:
        partner = found.partner.name
        return {
            "invitation": found,
            # Translators: %(partner_possessive)s is the name, with "'s" in English
            # only: in other languages the plain name.
            "heading": _("Decline %(partner_possessive)s request?")
            % {"partner": partner, "partner_possessive": possessive(partner)},
        }

    def declined(self, request: MemberRequest, found: Invitation) -> str:
        services.invitation_decline(
            invitation_id=found.pk, user=request.user, portal_cloud=current_portal(request).cloud
        )
        return _(
            "You declined the request from %(partner)s. We've let them know; nothing changed for "
            "your organization."
        ) % {"partner": found.partner.name}


def _accepted_message(invitation: Invitation, acceptance) -> str:
    names = {"partner": invitation.partner.name}
    if invitation.is_indirect:
        names["provider"] = invitation.indirect_provider.name
        if acceptance.provider_added and invitation.include_admin:
            message = _(
                "%(provider)s is now your organization's reseller, and %(partner)s sells to you "
                "through it as your indirect reseller. %(partner)s also holds the admin roles "
                "you granted."
            )
        elif acceptance.provider_added:
            message = _(
                "%(provider)s is now your organization's reseller, and %(partner)s sells to you "
                "through it as your indirect reseller."
            )
        elif invitation.include_admin:
            message = _(
                "%(partner)s is now your indirect reseller, selling to you through %(provider)s, "
                "which already was your organization's reseller. %(partner)s also holds the admin "
                "roles you granted."
            )
        else:
            message = _(
                "%(partner)s is now your indirect reseller, selling to you through %(provider)s, "
                "which already was your organization's reseller."
            )
    elif invitation.include_admin:
        message = _(
            "%(partner)s is now your organization's reseller and holds the admin roles you granted."
        )
    else:
        message = _("%(partner)s is now your organization's reseller.")
    return message % names


def _upgrade(found: AdminRelationship) -> dict:
    """An upgrade's page says what changes, and only that."""
    if found.upgrade_of_id is None:
        return {}
    replaced = found.upgrade_of
    return {"upgrades": replaced, "difference": services.difference(replaced, found)}


class AdminRequestPages(RequestPages):
    kind = services.ADMIN_REQUESTS
    # Kept apart from the reseller requests': the two kinds of id name different tables.
    session_key = "admin_center.opened_admin_requests"
    open_name = "gdap-open"
    page_name = "gdap-request"
    accept_name = "gdap-approve"
    accept_path = "approve/"
    decline_name = "gdap-decline"
    page_template = "admin_center/admin_relationships/request.html"
    decline_template = "admin_center/admin_relationships/decline.html"

    def context(self, request: MemberRequest, found: AdminRelationship) -> dict:
        partner = found.partner
        return {
            "relationship": found,
            "partner": partner,
            "customer": request.membership.tenant,
            "roles": found.role_infos,
            "ends_if_approved_today": timezone.now() + timedelta(days=found.duration_days),
            "extend_days": AUTO_EXTEND_DAYS,
            "global_admin_warning": _(
                # Translators: %(partner_possessive)s is the name, with "'s" in English
                # only: in other languages the plain name.
                "With it, %(partner_possessive)s agents could change anything in your "
                "organization, including who holds admin roles."
            )
            % {"partner": partner.name, "partner_possessive": possessive(partner.name)},
            **pending_together(request, found),
            **_upgrade(found),
        }

    def accepted(self, request: MemberRequest, found: AdminRelationship):
        relationship = services.admin_relationship_approve(
            relationship_id=found.pk,
            user=request.user,
            portal_cloud=current_portal(request).cloud,
        )
        names = {
            "name": relationship.name,
            "partner": relationship.partner.name,
            "date": day(relationship.ends_at),
            "days": number(AUTO_EXTEND_DAYS),
        }
        if relationship.auto_extend:
            message = ngettext(
                # Translators: %(name)s is the admin relationship's name, chosen by the partner.
                "You approved “%(name)s”: %(partner)s holds the roles you approved in your "
                "organization until %(date)s (then extended by %(days)s day at a time, unless it "
                "is ended).",
                "You approved “%(name)s”: %(partner)s holds the roles you approved in your "
                "organization until %(date)s (then extended by %(days)s days at a time, unless it "
                "is ended).",
                AUTO_EXTEND_DAYS,
            )
        else:
            message = _(
                # Translators: %(name)s is the admin relationship's name, chosen by the partner.
                "You approved “%(name)s”: %(partner)s holds the roles you approved in your "
                "organization until %(date)s."
            )
        return self.done(request, found, message % names)

    def decline_context(self, request: MemberRequest, found: AdminRelationship) -> dict:
        partner = found.partner.name
        return {
            "relationship": found,
            "partner": found.partner,
            # Translators: %(partner_possessive)s is the name, with "'s" in English
            # only: in other languages the plain name.
            "heading": _("Decline %(partner_possessive)s request for admin roles?")
            % {"partner": partner, "partner_possessive": possessive(partner)},
        }

    def declined(self, request: MemberRequest, found: AdminRelationship) -> str:
        services.admin_relationship_decline(
            relationship_id=found.pk, user=request.user, portal_cloud=current_portal(request).cloud
        )
        return _(
            "You declined the admin relationship request “%(name)s” from %(partner)s. We've told "
            "the partner; its agents got no roles in your organization."
        ) % {"name": found.name, "partner": found.partner.name}


RESELLER_PAGES = ResellerRequestPages()
ADMIN_PAGES = AdminRequestPages()
