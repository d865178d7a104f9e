"""One answer flow for every kind of request link (tenancy.services.request_links).

The link in the partner's email opens here: its token is traded at once for an entry in the
session (the latest twenty requests this browser opened), and every page after it carries only
the request's id, so no later URL, Referer or log line carries the token. Then sign in (and back
to the request: a form posted signed out comes back to the request's page), the request, and its
answer or its refusal. A kind's own pages subclass `RequestPages`: its templates, what its page
says, and what accepting and declining it do.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from admin_center.access import current_portal, portal_url, request_page
from admin_center.refusals import refusal_page_of
from tenancy import services
from tenancy.rules import request_refusals as request_rules
from tenancy.services import RequestKind
from tenancy.web import fragments
from tenancy.web.http import MemberRequest
from tenancy.web.throttle import LINK_OPEN_RATE, rate_limited

MAX_OPENED = 20


class RequestPages:
    """The pages of one kind of request. A subclass names its kind, session key, URL names and
    templates, and says what its page shows (`context`) and what answering does (`accept`,
    `declined`)."""

    kind: RequestKind
    session_key: str
    # URL names: the link, the request's page, accepting, declining.
    open_name: str
    page_name: str
    accept_name: str
    decline_name: str
    accept_path = "accept/"
    # A kind's own templates, or these, which show `heading`, `lines` and the buttons.
    page_template = "admin_center/request.html"
    decline_template = "admin_center/request_decline.html"

    # --- The session entry the token is traded for --------------------------------------------

    def remember(self, request, pk) -> None:
        opened = [i for i in request.session.get(self.session_key, []) if i != str(pk)]
        request.session[self.session_key] = [*opened, str(pk)][-MAX_OPENED:]

    def was_opened(self, request, pk) -> bool:
        return str(pk) in request.session.get(self.session_key, [])

    def forget(self, request, pk) -> None:
        opened = request.session.get(self.session_key, [])
        request.session[self.session_key] = [i for i in opened if i != str(pk)]

    # --- Refusals -----------------------------------------------------------------------------

    def refused(self, request: MemberRequest, refusal, answer=None):
        membership = getattr(request, "membership", None)
        page = refusal_page_of(
            refusal,
            wording=self.kind.wording,
            customer=membership.tenant if membership else None,
        )
        context = {"refusal": page, "request_kind": self.kind.name, "answer": answer}
        return render(request, "admin_center/refusal.html", context, status=page.status)

    # --- The pages ----------------------------------------------------------------------------

    def open(self, request: MemberRequest, **lookups):
        """The link in the partner's email. Trade its token for a session entry, then redirect
        to a token-free page."""
        token = request.GET.get("token", "")
        found = self.kind.find(token, **lookups)
        refusal = (
            request_rules.unknown_link()
            if found is None
            else self.kind.link_refusal(found, request.GET)
        )
        if refusal is not None:
            return self.refused(request, refusal)
        self.remember(request, found.pk)
        return redirect(portal_url(request, self.page_name, found.pk))

    def answerable(self, request: MemberRequest, pk):
        """(the request, or None with the page that stops here: a refusal or signing in)."""
        found = self.kind.get(pk) if self.was_opened(request, pk) else None
        if found is None:
            return None, self.refused(request, request_rules.not_opened())
        portal = current_portal(request)
        if found.partner.cloud != portal.cloud:
            refusal = request_rules.wrong_portal(found.partner, self.kind.wording)
            return None, self.refused(request, refusal)
        if not request.user.is_authenticated:
            # Back to the page after signing in; a form posted signed out comes back to the
            # request's page (its answer URLs take only posts).
            back = (
                request.get_full_path()
                if request.method == "GET"
                else portal_url(request, self.page_name, found.pk)
            )
            return None, redirect_to_login(back)
        membership = request.membership
        if request.method == "GET":
            # A signed-in person of the customer has it in front of them: it is opened now (a
            # mail gateway fetching the link, signed out, records nothing).
            self.kind.record_open(request=found, membership=membership)
        refusal = self.kind.refusal(request=found, membership=membership, portal_cloud=portal.cloud)
        if refusal is not None:
            self.kind.record_refusal(
                request=found, refusal=refusal, user=request.user, membership=membership
            )
            return None, self.refused(request, refusal, found)
        return found, None

    def page(self, request: MemberRequest, pk):
        found, stop = self.answerable(request, pk)
        if stop is not None:
            return stop
        shown = self.shown(request, found)
        return fragments.kept_whole_page(
            request,
            self.page_template,
            f"request:{self.kind.name}",
            None if shown is None else fragments.stamp(*shown),
            lambda: ({**self.addresses(request, found), **self.context(request, found)}, None),
        )

    def accept(self, request: MemberRequest, pk):
        found, stop = self.answerable(request, pk)
        if stop is not None:
            return stop
        try:
            return self.accepted(request, found)
        except services.RequestRefused as refused:
            return self.refused(request, refused.refusal, found)

    def decline(self, request: MemberRequest, pk):
        found, stop = self.answerable(request, pk)
        if stop is not None:
            return stop
        if request.method == "GET":
            context = {**self.addresses(request, found), **self.decline_context(request, found)}
            return render(request, self.decline_template, context)
        try:
            message = self.declined(request, found)
        except services.RequestRefused as refused:
            return self.refused(request, refused.refusal, found)
        return self.done(request, found, message)

    # --- What a kind's pages say and do -------------------------------------------------------

    def addresses(self, request: MemberRequest, found) -> dict:
        """The request's own pages, for its templates."""
        return {
            "page_url": portal_url(request, self.page_name, found.pk),
            "accept_url": portal_url(request, self.accept_name, found.pk),
            "decline_url": portal_url(request, self.decline_name, found.pk),
        }

    def shown(self, request: MemberRequest, found) -> list | None:
        """Every value the request's page shows, all read already, when it can be kept under
        their stamp (for the member, their roles and language: fragments.kept_whole_page);
        None: rendered each time."""
        return None

    def context(self, request: MemberRequest, found) -> dict:
        """What the request's page shows (with the general template: `heading`, `lines` and
        `accept_label`)."""
        raise NotImplementedError

    def decline_context(self, request: MemberRequest, found) -> dict:
        raise NotImplementedError

    def accepted(self, request: MemberRequest, found):
        """Answer yes: `self.done(...)` once it is recorded, else the page again (its form's
        errors)."""
        raise NotImplementedError

    def declined(self, request: MemberRequest, found) -> str:
        """Answer no; the sentence the customer's administrator is told."""
        raise NotImplementedError

    def done(self, request: MemberRequest, found, message: str):
        """The answer was recorded: the session forgets the request; tell them, and show their
        partner relationships."""
        self.forget(request, found.pk)
        messages.success(request, message)
        return redirect(portal_url(request, "partner-relationships"))

    # --- URLs ---------------------------------------------------------------------------------

    def urls(self, *, open_route: str, route: str) -> list:
        """The link's own path (`open_route`, as the real admin center's link has it) and the
        request's pages under `route` (with <uuid:pk>)."""
        opened = require_GET(
            rate_limited("link-open", **LINK_OPEN_RATE)(
                request_page(sensitive_variables("token")(self.open))
            )
        )

        def page(request, pk):
            return self.page(request, pk)

        # The sign-in page, on the way to this page, says what the request is.
        page.answers_request = self.kind.wording or "other"
        return [
            path(open_route, opened, name=self.open_name),
            path(route, never_cache(require_GET(request_page(page))), name=self.page_name),
            path(
                f"{route}{self.accept_path}",
                require_POST(request_page(self.accept)),
                name=self.accept_name,
            ),
            path(
                f"{route}decline/",
                require_http_methods(["GET", "POST"])(request_page(self.decline)),
                name=self.decline_name,
            ),
        ]
