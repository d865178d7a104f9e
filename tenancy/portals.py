"""The three portals this site serves, each under its own base URL (settings).

Partner Center is the partner's portal. A customer answers a request in the admin portal of its
cloud: the Microsoft 365 admin center (public cloud) or the Microsoft Office Admin portal
(Microsoft Cloud for US Government). One Django app (`admin_center`) serves both, mounted twice
under two URL namespaces.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from tenancy.choices import Cloud


@dataclass(frozen=True)
class Portal:
    namespace: str
    name: str
    setting: str
    cloud: Cloud | None = None

    @property
    def base_url(self) -> str:
        url = getattr(settings, self.setting)
        return url if url.endswith("/") else f"{url}/"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def mount(self) -> str:
        """The URL path prefix this portal is served under, without the leading slash."""
        return urlsplit(self.base_url).path.lstrip("/")

    def absolute(self, path: str) -> str:
        return f"{self.origin}{path}"

    def link(self, request: HttpRequest | None, path: str) -> str:
        """`path` as an href: relative on this portal's own host, absolute elsewhere."""
        if request is not None and urlsplit(self.base_url).netloc == request.get_host():
            return path
        return self.absolute(path)


PARTNER_CENTER = Portal("partner_center", "Partner Center", "PARTNER_CENTER_URL")
ADMIN_CENTER = Portal(
    "admin_center", "Microsoft 365 admin center", "ADMIN_CENTER_URL", cloud=Cloud.PUBLIC
)
OFFICE_ADMIN = Portal(
    "office_admin", "Microsoft Office Admin portal", "OFFICE_ADMIN_URL", cloud=Cloud.USGOV
)
PORTALS = (PARTNER_CENTER, ADMIN_CENTER, OFFICE_ADMIN)
ADMIN_PORTALS = (ADMIN_CENTER, OFFICE_ADMIN)


def admin_portal_for(cloud: str) -> Portal:
    """Where a customer in `cloud` signs in and answers requests."""
    return OFFICE_ADMIN if cloud == Cloud.USGOV else ADMIN_CENTER


def portal_for_namespace(namespace: str | None) -> Portal | None:
    return next((p for p in PORTALS if p.namespace == namespace), None)
