"""Invitation tokens: the unguessable part of a relationship request link.

The token is an HMAC of the invitation's id and a random salt under the secret key: 256 bits
that only the server can compute. The database keeps the salt and a SHA-256 of the token (for
lookup), so a copy of the database yields no working link, while the server can still show a
request's email again. Rotating SECRET_KEY (with the old key in SECRET_KEY_FALLBACKS) keeps
issued links working.
"""

import base64
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

KEY_SALT = "tenancy.invitation-token"
TOKEN_BITS = 256
SALT_BYTES = 16
_TOKEN_SHAPE = re.compile(r"\A[A-Za-z0-9_-]{43}\Z")


def new_salt() -> str:
    return secrets.token_hex(SALT_BYTES)


def make_token(invitation_id, salt: str, *, secret: str | None = None) -> str:
    digest = salted_hmac(
        KEY_SALT,
        f"{invitation_id}:{salt}",
        secret=secret or settings.SECRET_KEY,
        algorithm="sha256",
    ).digest()
    # URL-safe base64 without padding: 43 characters for 256 bits.
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: object) -> bool:
    """A cheap shape check before any database look-up."""
    return isinstance(value, str) and bool(_TOKEN_SHAPE.match(value))


def check_token(invitation_id, salt: str, token: object) -> bool:
    """Is `token` the one issued for this invitation, under the current or a fallback key?"""
    if not looks_like_token(token):
        return False
    return any(
        hmac.compare_digest(make_token(invitation_id, salt, secret=secret), token)
        for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    )


def recover_token(invitation_id, salt: str, token_hash: str) -> str | None:
    """The token issued for an invitation, to show its link again; None once the key that made
    it is gone (neither SECRET_KEY nor among SECRET_KEY_FALLBACKS)."""
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        token = make_token(invitation_id, salt, secret=secret)
        if hmac.compare_digest(hash_token(token), token_hash):
            return token
    return None
