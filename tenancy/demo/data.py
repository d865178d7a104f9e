"""The demo's tables: its partners, customers and their people, the names of Contoso's book of
business, the admin relationships and requests it shows, and Contoso's templates, the requests
made from them and its bulk request. The builders beside this module
make them through the services."""

from django.utils import translation

from tenancy.models import DEFAULT_DAYS, ENTRA_ROLES, Cloud, CspRole, Role

DEMO_PASSWORD = "Demo-Reseller-2026"  # noqa: S105 (published on purpose: demo data only)

PARTNERS = [
    # key, name, prefix, country, cloud, PartnerID, CSP role, [(user, first, last, roles)]
    (
        "contoso",
        "Contoso Cloud Partners",
        "contosopartners",
        "US",
        Cloud.PUBLIC,
        4851001,
        CspRole.DIRECT,
        [
            ("globaladmin", "Grace", "Hopper", [Role.GLOBAL_ADMIN]),
            ("adminagent", "Alan", "Turing", [Role.ADMIN_AGENT]),
            ("sales", "Sara", "Davis", [Role.SALES_AGENT]),
            ("helpdesk", "Henry", "Ross", [Role.HELPDESK_AGENT]),
            ("billing", "Bea", "Lopez", [Role.BILLING_ADMIN]),
        ],
    ),
    (
        "fabrikam",
        "Fabrikam Conseil SAS",
        "fabrikamconseil",
        "FR",
        Cloud.PUBLIC,
        5120044,
        CspRole.DIRECT,
        [
            ("admin", "Camille", "Martin", [Role.GLOBAL_ADMIN, Role.ADMIN_AGENT]),
            ("sales", "Lucas", "Bernard", [Role.SALES_AGENT]),
        ],
    ),
    (
        "tailspin",
        "Tailspin Federal Solutions",
        "tailspinfederal",
        "US",
        Cloud.USGOV,
        6004312,
        CspRole.DIRECT,
        [
            ("adminagent", "Dana", "Whitman", [Role.ADMIN_AGENT, Role.GLOBAL_ADMIN]),
            ("sales", "Marcus", "Reed", [Role.SALES_AGENT]),
        ],
    ),
    # Two tiers in the US: an indirect provider and two indirect resellers it partners with.
    # (`proseware` is a customer of Contoso's already, so Proseware Solutions has a longer prefix.)
    (
        "tailwind",
        "Tailwind Distribution",
        "tailwinddist",
        "US",
        Cloud.PUBLIC,
        5300117,
        CspRole.INDIRECT_PROVIDER,
        [
            ("admin", "Theo", "Walsh", [Role.GLOBAL_ADMIN]),
            ("agent", "Tara", "Nguyen", [Role.ADMIN_AGENT, Role.SALES_AGENT]),
        ],
    ),
    (
        "proseware",
        "Proseware Solutions",
        "prosewaresolutions",
        "US",
        Cloud.PUBLIC,
        5300241,
        CspRole.INDIRECT_RESELLER,
        [
            ("admin", "Priya", "Shah", [Role.GLOBAL_ADMIN]),
            ("sales", "Paul", "Osei", [Role.SALES_AGENT]),
        ],
    ),
    (
        "wingtip",
        "Wingtip Computing",
        "wingtip",
        "US",
        Cloud.PUBLIC,
        5300388,
        CspRole.INDIRECT_RESELLER,
        [
            ("admin", "Wendy", "Carter", [Role.GLOBAL_ADMIN]),
            ("sales", "Will", "Moreno", [Role.SALES_AGENT]),
        ],
    ),
]

ADDRESSES = {
    "US": ("1 Microsoft Way", "Redmond", "WA", "98052"),
    "DE": ("Kaiserstraße 12", "München", "Bayern", "80801"),
    "CA": ("100 Queen Street West", "Toronto", "ON", "M5H 2N2"),
    "FR": ("12 rue de Rivoli", "Paris", "", "75001"),
    "ES": ("Calle de Alcalá 45", "Madrid", "", "28014"),
}

CUSTOMERS = [
    # key, name, prefix, country, cloud, with billing address, [(user, first, last, roles)]
    (
        "northwind",
        "Northwind Traders",
        "northwindtraders",
        "US",
        Cloud.PUBLIC,
        True,
        [
            ("admin", "Nancy", "Davolio", [Role.CUSTOMER_GLOBAL_ADMIN]),
            ("billing", "Andrew", "Fuller", [Role.CUSTOMER_BILLING_ADMIN]),
            # Answers and ends Contoso's admin relationship requests, and nothing else.
            (
                "gdapadmin",
                "Margaret",
                "Peacock",
                [Role.CUSTOMER_DELEGATED_ADMIN_RELATIONSHIP_ADMIN],
            ),
            ("user", "Janet", "Leverling", [Role.CUSTOMER_USER]),
        ],
    ),
    (
        "alpine",
        "Alpine Ski House GmbH",
        "alpineskihouse",
        "DE",
        Cloud.PUBLIC,
        False,
        [("admin", "Lena", "Vogel", [Role.CUSTOMER_GLOBAL_ADMIN])],
    ),
    (
        "maple",
        "Maple Leaf Outfitters",
        "mapleleafoutfitters",
        "CA",
        Cloud.PUBLIC,
        True,
        [("admin", "Owen", "Tremblay", [Role.CUSTOMER_GLOBAL_ADMIN])],
    ),
    (
        "springfield",
        "Springfield Public Works",
        "springfieldpw",
        "US",
        Cloud.USGOV,
        True,
        [("admin", "Ruth", "Simmons", [Role.CUSTOMER_GLOBAL_ADMIN])],
    ),
]

# US customers the indirect resellers brought in with a two-tier request naming Tailwind
# Distribution, accepted by the customer's Global administrator: each is Tailwind's (reseller of
# record) and the reseller's through it.
# reseller key, name, prefix, admin permissions in the request, (first, last) of its admin
TWO_TIER_CUSTOMERS = [
    ("proseware", "Lakeshore Retail", "lakeshoreretail", True, ("Laura", "Bennett")),
    ("proseware", "Fincher Architects", "fincherarchitects", False, ("Felix", "Okafor")),
    ("proseware", "Munson's Pickles", "munsonspickles", False, ("Molly", "Munson")),
    ("wingtip", "Nod Publishers", "nodpublishers", False, ("Nora", "Quinn")),
]
# A customer Tailwind added itself (Add customer), naming Proseware as the indirect reseller.
TWO_TIER_ADDED = ("proseware", "First Up Consultants", "firstupconsultants", ("Frank", "Ueda"))
# Wingtip's two-tier request nobody has answered: a customer with no partner yet (Northwind
# Traders) can accept it in a demo.
TWO_TIER_PENDING = ("wingtip", "Baldwin Museum of Science")

BOOK_NAMES = [
    "Adatum",
    "Blue Yonder Airlines",
    "Coho Winery",
    "Consolidated Messenger",
    "Fourth Coffee",
    "Graphic Design Institute",
    "Humongous Insurance",
    "Litware",
    "Lucerne Publishing",
    "Margie's Travel",
    "Northwind Health",
    "Proseware",
    "Relecloud",
    "School of Fine Art",
    "Southridge Video",
    "Trey Research",
    "VanArsdel",
    "Wide World Importers",
    "Wingtip Toys",
    "Woodgrove Bank",
    "Tailwind Traders",
    "Fabrikam Residences",
    "Bellows College",
    "Best For You Organics",
    "City Power & Light",
]
BOOK_SUFFIXES = ["", " West"]

# Looked up by the roles' English names, whatever language is active.
with translation.override("en"):
    ROLE = {str(role.name): role.id for role in ENTRA_ROLES.values()}
SUPPORT_ROLES = [
    "Directory Readers",
    "Service Support Administrator",
    "Helpdesk Administrator",
    "User Administrator",
    "License Administrator",
]
# Book customers that show one of Contoso's admin relationships each, so they get no default one.
ADMIN_SHOWCASE = {
    "Relecloud",
    "Proseware",
    "Wide World Importers",
    "Wingtip Toys",
    "Bellows College",
    "City Power & Light",
}
# Book customers with a demo account of their own: Relecloud's Global administrator sees
# Contoso's active admin relationship from the customer's side.
BOOK_ACCOUNTS = {
    "Relecloud": [("admin", "Rachel", "Kim", [Role.CUSTOMER_GLOBAL_ADMIN])],
}
# Book customers whose IT contact (who accepted the agreement) is their primary contact, and so
# their Global administrator has an address: Contoso's requests from its templates wait for their
# approval, and are sent to them again.
BOOK_CONTACTS = {
    "Blue Yonder Airlines",
    "Consolidated Messenger",
    "Fabrikam Residences",
    "Fourth Coffee",
    "Humongous Insurance",
    "School of Fine Art",
    "Trey Research",
}
# The customers of Fabrikam and Tailspin: partner key, name, prefix, country, days ago.
OTHER_BOOKS = [
    ("fabrikam", "Contoso Farmacéutica SL", "contosofarma", "ES", 40),
    ("fabrikam", "Lamna Healthcare GmbH", "lamnahealthcare", "DE", 40),
    ("tailspin", "Riverdale County Schools", "riverdaleschools", "US", 60),
]

# Contoso's admin relationship requests made today: name, roles, days, auto-extend, the key of
# the customer it is for (None: any customer), finalized.
REQUESTED = [
    ("Teams rollout", ["Teams Administrator"], 120, False, None, False),
    ("Northwind Traders - support", SUPPORT_ROLES, DEFAULT_DAYS, True, "northwind", True),
    ("City Power & Light - audit", ["Global Reader"], 30, False, "City Power & Light", True),
]
WITHDRAWN = "City Power & Light - audit"
# Tailspin's request that waits in the Microsoft Office Admin portal.
TAILSPIN_REQUEST = (
    "Springfield Public Works - helpdesk",
    ["Directory Readers", "Helpdesk Administrator"],
    180,
    "springfield",
)
# Contoso's requests answered in the past: name, book customer, roles, days, finalized and
# answered that many days ago, declined, terminated by Contoso that many days ago.
ANSWERED = [
    ("Relecloud - licences and helpdesk", "Relecloud", SUPPORT_ROLES, 365, 62, 60, False, None),
    (
        "Proseware - Exchange project",
        "Proseware",
        ["Directory Readers", "Exchange Administrator"],
        90,
        72,
        70,
        False,
        None,
    ),
    (
        "Wide World Importers - migration",
        "Wide World Importers",
        ["Global Administrator", "Exchange Administrator"],
        180,
        203,
        200,
        False,
        None,
    ),
    (
        "Wingtip Toys - billing",
        "Wingtip Toys",
        ["Billing Administrator", "License Administrator"],
        180,
        15,
        14,
        True,
        None,
    ),
    (
        "Bellows College - security review",
        "Bellows College",
        ["Security Reader", "Security Administrator"],
        365,
        122,
        120,
        False,
        30,
    ),
]
ACTIVE = "Relecloud - licences and helpdesk"
HELPDESK_GROUP = "Helpdesk \N{EN DASH} tier 1"

# Contoso's relationship requests, one in each state a list can show: label, made that many days
# ago, with admin permissions, revoked a day later.
CONTOSO_REQUESTS = [
    ("Northwind Traders", 2, True, False),
    ("it@fourthcoffee.example", 12, False, True),
    ("Trey Research (old request)", 120, True, False),
]


# Contoso's admin relationship templates, made and edited by its Admin agent: name, description,
# and each version as it was saved: (days ago, roles, duration, auto-extend, {group: its roles}).
LEAST_PRIVILEGE = "Least privilege (default)"
HELPDESK_TIER = "Helpdesk tier"
# A group made for a security team whose members aren't in yet: the default template maps it, so
# the relationship approved from that template shows its assignment as not made, with a Retry.
SECURITY_GROUP = "Security operations"
_READ_MOSTLY = ["Directory Readers", "Global Reader", "Service Support Administrator"]
_FIRST_LINE = ["Directory Readers", "Service Support Administrator"]
_HELPDESK = ["Helpdesk Administrator", "User Administrator", "License Administrator"]
TEMPLATES = [
    (
        LEAST_PRIVILEGE,
        "What every customer is asked for first: read-mostly roles for day-to-day support.",
        [
            (
                130,
                _READ_MOSTLY,
                DEFAULT_DAYS,
                True,
                {HELPDESK_GROUP: _FIRST_LINE, SECURITY_GROUP: ["Global Reader"]},
            ),
            # Edited: the security team reads the customers' security reports too.
            (
                45,
                [*_READ_MOSTLY, "Security Reader"],
                DEFAULT_DAYS,
                True,
                {HELPDESK_GROUP: _FIRST_LINE, SECURITY_GROUP: ["Global Reader", "Security Reader"]},
            ),
        ],
    ),
    (
        HELPDESK_TIER,
        "Password resets, users and licences, for customers on a support plan.",
        [(70, ["Directory Readers", *_HELPDESK], 365, True, {HELPDESK_GROUP: _HELPDESK})],
    ),
]
# Contoso's requests from its templates, one customer each: name, template, version, customer (a
# key of the tables or a name of the book), finalized that many days ago, approved that many days
# ago by the customer's Global administrator (None: unanswered; past 90 days, lapsed).
TEMPLATE_REQUESTS = [
    ("Fabrikam Residences - least privilege", LEAST_PRIVILEGE, 1, "Fabrikam Residences", 100, None),
    ("Trey Research - least privilege", LEAST_PRIVILEGE, 1, "Trey Research", 60, None),
    ("Margie's Travel - least privilege", LEAST_PRIVILEGE, 1, "Margie's Travel", 50, 48),
    ("Humongous Insurance - helpdesk", HELPDESK_TIER, 1, "Humongous Insurance", 25, None),
    (
        "Consolidated Messenger - least privilege",
        LEAST_PRIVILEGE,
        2,
        "Consolidated Messenger",
        9,
        None,
    ),
    # Northwind's second request from Contoso (with "Northwind Traders - support").
    ("Northwind Traders - helpdesk tier", HELPDESK_TIER, 1, "northwind", 2, None),
]
# Contoso's bulk request from the default template's latest version, that many days ago: the
# list its Admin agent pasted, book customers by domain (or "id": by Microsoft ID), then lines as
# typed. Consolidated Messenger already has a request from that version, Litware is no longer a
# customer, the typed lines name nobody: skipped, each with its reason.
BULK_REQUEST_DAYS = 5
BULK_CUSTOMERS = [
    ("Fourth Coffee", "domain"),
    ("Humongous Insurance", "domain"),
    ("Consolidated Messenger", "domain"),
    ("Litware", "domain"),
    ("Blue Yonder Airlines", "id"),
    ("School of Fine Art", "domain"),
    ("VanArsdel", "domain"),
]
BULK_TYPED = ["fabrikamresidence.onmicrosoft.com", "Wide World Importers"]
# The customer whose request the job could not make: it was to be emailed, and VanArsdel has no
# Global administrator with an email address (not in BOOK_CONTACTS).
BULK_FAILED = "VanArsdel"


def book_prefix(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())[:40]


def roles(names) -> list[str]:
    """Entra role ids, from their English names."""
    return [ROLE[name] for name in names]
