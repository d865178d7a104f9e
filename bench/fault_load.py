"""The load of `make faults` (bench/faults.py): its data (a partner, its app, customers), the
clients that write through nginx over HTTPS as a script and a browser do, and the ledger of every
request sent and every write the server acknowledged."""

import contextlib
import html
import http.client
import itertools
import json
import queue
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from bench.fault_parts import HOST
from bench.servers import log

HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
SIGNER = {
    "first_name": "Nancy",
    "last_name": "Davolio",
    "email": "nancy@northwind.example",
    "phone": "+1 425 555 0100",
    "accept": "on",
}
# A client that writes its own X-Forwarded-For: the address recorded must still be the one nginx
# saw.
SPOOFED_ADDRESS = "203.0.113.7"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- HTTP clients -------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (a refused or reset connection, a timeout)
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path


class Browser:
    """One HTTPS connection to nginx (kept open, opened again after a failure) and its cookies."""

    def __init__(self, port: int, context: ssl.SSLContext, cookies: dict[str, str] | None = None):
        self.port, self.context = port, context
        self.cookies = dict(cookies or {})
        self.origin = f"https://{HOST}:{port}"
        self.connection: http.client.HTTPSConnection | None = None

    def send(self, method: str, path: str, body: bytes | None = None, headers=None) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            if self.connection is None:
                self.connection = http.client.HTTPSConnection(
                    HOST, self.port, timeout=45, context=self.context
                )
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return Answer(0, {}, b"")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "max-age=0" in header.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, content)

    def form(self, path: str, fields: dict, referer: str, extra=None) -> Answer:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.origin,
            "Referer": self.origin + referer,
        } | (extra or {})
        return self.send("POST", path, urlencode(fields).encode(), headers)

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.close()
        self.connection = None


def csrf_token(answer: Answer) -> str | None:
    match = CSRF_TOKEN.search(answer.body.decode("utf-8", "replace"))
    return html.unescape(match.group(1)) if match else None


# --- The ledger: every request sent, every write acknowledged ---------------------------------


@dataclass
class Sent:
    started: float
    ended: float
    window: int
    ok: bool
    what: str
    status: int


@dataclass
class Write:
    kind: str  # request, admin relationship, purchase, acceptance, test event
    key: str  # its id, or customer/quantity
    at: float  # when it was acknowledged
    window: int
    name: str = ""
    recipient: str = ""  # the email it must send, once
    customer: str = ""


class Ledger:
    def __init__(self, max_requests: int):
        self.max_requests = max_requests
        self.window = 0
        self.sent: list[Sent] = []
        self.writes: list[Write] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def request(self, what: str, call: Callable[[], Answer], ok: Callable[[Answer], bool]):
        window, started = self.window, time.time()
        answer = call()
        good = ok(answer)
        with self._lock:
            self.sent.append(Sent(started, time.time(), window, good, what, answer.status))
            if len(self.sent) >= self.max_requests:
                self.stop.set()
        return answer if good else None

    def wrote(self, kind: str, key: str, **fields) -> None:
        with self._lock:
            self.writes.append(Write(kind, key, time.time(), self.window, **fields))

    def errors_since(self, moment: float) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if not s.ok and s.ended >= moment]


@dataclass
class Fixture:
    partner_id: str
    key: str
    agent_session: str
    shops: list[str]  # a customer per client, to sell to
    offer_id: str
    admins: queue.Queue  # (customer id, its Global admin's session) per acceptance
    session_cookie: str


class Client(threading.Thread):
    """Writes in turn until told to stop; records what was acknowledged."""

    KINDS = ("request", "purchase", "admin relationship", "acceptance", "test event", "read")

    def __init__(self, index, ledger, fixture, port, context, pause):
        super().__init__(daemon=True, name=f"client-{index}")
        self.index, self.ledger, self.fixture, self.pause = index, ledger, fixture, pause
        self.port, self.context = port, context
        self.api = Browser(port, context)
        self.agent = Browser(port, context, {fixture.session_cookie: fixture.agent_session})
        self.token: str | None = None
        self.quantity = 0
        self.counter = itertools.count(1)

    def run(self) -> None:
        kinds = itertools.cycle(self.KINDS[self.index % len(self.KINDS) :] + self.KINDS)
        while not self.ledger.stop.is_set():
            kind = next(kinds)
            try:
                getattr(self, kind.replace(" ", "_"))()
            except Exception as error:  # a client's own mistake must not end the run quietly
                log(f"  client {self.index}: {kind}: {error!r}")
            time.sleep(self.pause)

    def name(self) -> str:
        return f"faults-{self.index}-{next(self.counter)}"

    def call_api(self, method: str, path: str, payload=None) -> Callable[[], Answer]:
        headers = {"Authorization": f"Bearer {self.fixture.key}", "Accept": "application/json"}
        body = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        return lambda: self.api.send(method, path, body, headers)

    def new_request(self, label: str, recipient: str, admin_roles: bool) -> Answer | None:
        payload = {"label": label, "recipient": recipient, "delegatedAdmin": admin_roles}
        answer = self.ledger.request(
            "POST relationship request",
            self.call_api("POST", "/v1/customers/relationshiprequests", payload),
            lambda a: a.status == 201 and "id" in a.json(),
        )
        if answer is not None:
            self.ledger.wrote("request", answer.json()["id"], name=label)
        return answer

    def agent_token(self) -> str | None:
        """The agent's CSRF token, from the customer page it sells on."""
        from django.urls import reverse

        if self.token is None:
            page = reverse("partner_center:customer-detail", args=[self.fixture.shops[self.index]])
            answer = self.ledger.request(
                "GET customer page", lambda: self.agent.send("GET", page), lambda a: a.status == 200
            )
            self.token = csrf_token(answer) if answer else None
        return self.token

    def agent_post(self, what: str, path: str, fields: dict, page: str, said: bytes) -> bool:
        """Post a form as the agent; done when it redirects to `page` and that says `said`."""
        fields = fields | {"csrfmiddlewaretoken": self.token}
        answer = self.ledger.request(
            f"POST {what}",
            lambda: self.agent.form(path, fields, page),
            lambda a: a.status == 302 and a.location == page,
        )
        if answer is None:
            self.token = None  # a new one, in case that was the trouble
            return False
        shown = self.ledger.request(
            f"GET {what} page",
            lambda: self.agent.send("GET", page),
            lambda a: a.status == 200 and said in a.body,
        )
        return shown is not None

    def request(self) -> None:
        """A request (API), then sent to its recipient by email (Partner Center's Send)."""
        from django.urls import reverse

        name = self.name()
        recipient = f"{name}@customers.faults.example"
        made = self.new_request(name, recipient, admin_roles=False)
        if made is None or self.agent_token() is None:
            return
        pk = made.json()["id"]
        page = reverse("partner_center:request-detail", args=[pk])
        send = reverse("partner_center:request-send", args=[pk])
        if self.agent_post("send", send, {}, page, b"Sent to"):
            self.ledger.wrote("email", recipient, recipient=recipient)

    def admin_relationship(self) -> None:
        name = self.name()
        payload = {
            "displayName": name,
            "duration": "P730D",
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": HELPDESK_ADMINISTRATOR}]},
        }
        answer = self.ledger.request(
            "POST admin relationship",
            self.call_api("POST", "/v1/tenantRelationships/delegatedAdminRelationships", payload),
            lambda a: a.status == 201 and "id" in a.json(),
        )
        if answer is not None:
            self.ledger.wrote("admin relationship", answer.json()["id"], name=name)

    def purchase(self) -> None:
        from django.urls import reverse

        shop = self.fixture.shops[self.index]
        if self.agent_token() is None:
            return
        self.quantity += 1
        fields = {"offer": self.fixture.offer_id, "quantity": self.quantity}
        page = reverse("partner_center:customer-detail", args=[shop])
        path = reverse("partner_center:purchase", args=[shop])
        if self.agent_post("purchase", path, fields, page, b"Purchased"):
            self.ledger.wrote("purchase", f"{shop}/{self.quantity}", customer=shop)

    def acceptance(self) -> None:
        from django.urls import reverse

        try:
            customer, session = self.fixture.admins.get_nowait()
        except queue.Empty:
            return self.read()
        made = self.new_request(f"accept-{self.name()}", "", admin_roles=True)
        if made is None:
            return None
        link = urlsplit(made.json()["url"])
        admin = Browser(self.port, self.context, {self.fixture.session_cookie: session})
        try:
            opened = self.ledger.request(
                "GET request link",
                lambda: admin.send("GET", f"{link.path}?{link.query}"),
                lambda a: a.status == 302,
            )
            if opened is None:
                return None
            page = opened.location
            shown = self.ledger.request(
                "GET request page",
                lambda: admin.send("GET", page),
                lambda a: a.status == 200 and csrf_token(a) is not None,
            )
            if shown is None:
                return None
            accept = reverse("admin_center:invitation-accept", args=[made.json()["id"]])
            fields = SIGNER | {"csrfmiddlewaretoken": csrf_token(shown)}
            done = self.ledger.request(
                "POST accept",
                lambda: admin.form(accept, fields, page, {"X-Forwarded-For": SPOOFED_ADDRESS}),
                lambda a: (
                    a.status == 302 and a.location.endswith("/settings/partner-relationships/")
                ),
            )
            if done is not None:
                self.ledger.wrote("acceptance", customer, customer=customer)
        finally:
            admin.close()
        return None

    def test_event(self) -> None:
        answer = self.ledger.request(
            "POST test event",
            self.call_api("POST", "/v1/webhooks/registration/validationEvents"),
            lambda a: a.status == 200 and "correlationId" in a.json(),
        )
        if answer is not None:
            self.ledger.wrote("test event", answer.json()["correlationId"])

    def read(self) -> None:
        self.ledger.request(
            "GET customers", self.call_api("GET", "/v1/customers?size=5"), lambda a: a.status == 200
        )


# --- The data -------------------------------------------------------------------------------


def build_fixture(clients: int, acceptances: int) -> Fixture:
    """A partner with its app (Admin and Sales agent), its agent's session, a customer per client
    to sell to (reseller relationship and agreement in place), and customers with a Global admin
    each (signed in) to accept its requests. No password is set: nobody signs in with one, and
    hashing hundreds (PBKDF2) would take minutes."""
    from django.conf import settings
    from django.core.management import call_command

    from bench.data import session_for
    from tenancy.models import Membership, Offer, OfferKind, Role
    from tenancy.services import app_register
    from tests.factories import (
        AgreementAcceptanceFactory,
        CustomerFactory,
        PartnerFactory,
        ResellerRelationshipFactory,
        member,
    )

    partner = PartnerFactory(name="Fabrikam Faults", domain="fabrikamfaults.onmicrosoft.com")
    agent = member(
        partner,
        Role.ADMIN_AGENT,
        Role.SALES_AGENT,
        username="agent@fabrikamfaults.onmicrosoft.com",
        password=None,
    )
    admin = member(
        partner, Role.GLOBAL_ADMIN, username="admin@fabrikamfaults.onmicrosoft.com", password=None
    )
    registered = app_register(
        membership=Membership.objects.of_user(admin),
        name="Faults",
        roles=[Role.ADMIN_AGENT, Role.SALES_AGENT],
    )
    shops = []
    for i in range(clients):
        shop = CustomerFactory(name=f"Faults Shop {i}", domain=f"faultsshop{i}.onmicrosoft.com")
        signer = member(shop, Role.CUSTOMER_GLOBAL_ADMIN, password=None)
        ResellerRelationshipFactory(partner=partner, customer=shop)
        AgreementAcceptanceFactory(customer=shop, recorded_by=signer)
        shops.append(str(shop.pk))
    admins: queue.Queue = queue.Queue()
    for i in range(acceptances):
        customer = CustomerFactory(
            name=f"Faults Customer {i:04d}", domain=f"faultscustomer{i:04d}.onmicrosoft.com"
        )
        user = member(customer, Role.CUSTOMER_GLOBAL_ADMIN, password=None)
        admins.put((str(customer.pk), session_for(user)))
    call_command("rebuild_customer_list", verbosity=0)
    offer = Offer.objects.exclude(kind=OfferKind.AZURE).order_by("name").first()
    return Fixture(
        partner_id=str(partner.pk),
        key=registered.key,
        agent_session=session_for(agent),
        shops=shops,
        offer_id=str(offer.pk),
        admins=admins,
        session_cookie=settings.SESSION_COOKIE_NAME,
    )
