"""The CSP markets' names (tenancy/data/csp_markets.csv), marked so that makemessages puts
them in the catalogs: `tenancy.text.market_name` translates a market's stored name."""

from django.utils.translation import gettext_noop

MARKET_NAMES = [
    gettext_noop("Africa"),
    gettext_noop("Asia-Pacific"),
    gettext_noop("Australia"),
    gettext_noop("Brazil"),
    gettext_noop("Canada"),
    gettext_noop("China"),
    gettext_noop("Europe"),
    gettext_noop("India"),
    gettext_noop("Japan"),
    gettext_noop("Korea"),
    gettext_noop("Latin America and Caribbean"),
    gettext_noop("Middle East, Central and Eastern Europe"),
    gettext_noop("New Zealand"),
    gettext_noop("Taiwan"),
    gettext_noop("United States"),
]
