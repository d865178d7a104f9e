"""Second factors: which sign-in methods a user has, and what the passkey library asks of us.

The methods are django-otp's devices: an authenticator app is a confirmed `TOTPDevice`, a passkey
a `WebAuthnCredential` (django-otp-webauthn), and the recovery codes the tokens of the user's one
`StaticDevice`. A user is *enrolled* when they have an authenticator app or a passkey; recovery
codes only stand in for those.

What the middleware decides per request is kept in the session, so a signed-in page costs no
query for it: SIGN_IN_PENDING is set at sign-in for a user who has a second factor and cleared
when they give it.
"""

from base64 import b32encode
from dataclasses import dataclass, field

import qrcode
import qrcode.image.svg
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

# The session key: the password was right, the second factor is still to come.
SIGN_IN_PENDING = "mfa_sign_in_pending"
RECOVERY_CODE_COUNT = 10


def relying_party_id(request: HttpRequest) -> str:
    """A passkey's relying party is the host the user signs in on, without its port."""
    host = request.get_host()
    return host.rsplit(":", 1)[0] if not host.endswith("]") else host


@dataclass
class SignInMethods:
    authenticators: list[TOTPDevice] = field(default_factory=list)
    passkeys: list[WebAuthnCredential] = field(default_factory=list)
    recovery_codes_left: int = 0
    recovery_device: StaticDevice | None = None

    @property
    def enrolled(self) -> bool:
        return bool(self.authenticators or self.passkeys)

    @property
    def summary(self) -> str:
        """ "Authenticator app, 2 passkeys", or "Not enrolled": in English, as the audit log
        keeps it (`description` is the same in the page's language)."""
        parts = []
        if self.authenticators:
            parts.append("Authenticator app")
        if count := len(self.passkeys):
            parts.append("1 passkey" if count == 1 else f"{count} passkeys")
        return ", ".join(parts) or "Not enrolled"

    @property
    def description(self) -> str:
        """The summary in the request's language, for the pages."""
        count = len(self.passkeys)
        if self.authenticators and count:
            return ngettext(
                "Authenticator app, %(count)s passkey",
                "Authenticator app, %(count)s passkeys",
                count,
            ) % {"count": count}
        if self.authenticators:
            return _("Authenticator app")
        if count:
            return ngettext("%(count)s passkey", "%(count)s passkeys", count) % {"count": count}
        return _("Not enrolled")


def methods_of(user) -> SignInMethods:
    methods = SignInMethods(
        authenticators=list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id")),
        passkeys=list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("id")),
    )
    recovery = StaticDevice.objects.filter(user=user).order_by("id").first()
    if recovery is not None:
        methods.recovery_device = recovery
        methods.recovery_codes_left = recovery.token_set.count()
    return methods


def methods_of_users(users) -> dict[int, SignInMethods]:
    """Every user's methods in three queries (the Users pages)."""
    ids = [user.pk for user in users]
    methods = {pk: SignInMethods() for pk in ids}
    for device in TOTPDevice.objects.filter(user_id__in=ids, confirmed=True):
        methods[device.user_id].authenticators.append(device)
    for passkey in WebAuthnCredential.objects.filter(user_id__in=ids, confirmed=True):
        methods[passkey.user_id].passkeys.append(passkey)
    for device in StaticDevice.objects.filter(user_id__in=ids).prefetch_related("token_set"):
        methods[device.user_id].recovery_device = device
        methods[device.user_id].recovery_codes_left = len(device.token_set.all())
    return methods


def is_enrolled(user) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator being set up: one unconfirmed device per user, made on first use, so
    reloading the page shows the same key."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def manual_key(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG QR code (no script, no external image)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")
