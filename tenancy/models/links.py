"""The secret part of a request's link, the same for every kind of request.

A request's link carries a token: an HMAC of its id and a random salt under the secret key
(tenancy.tokens). The row keeps the salt and a SHA-256 of the token, so a copy of the database
yields no working link, while the server can show the link again until the key that made it is
retired.
"""

from django.db import models

from tenancy import tokens


class LinkTokenQuerySet(models.QuerySet):
    def with_token(self, token: object, **lookups):
        """The request the token was issued for (with `lookups`, e.g. the id the link names);
        None for an unknown or mangled token, without a query when it can't be one."""
        if not tokens.looks_like_token(token):
            return None
        request = self.filter(token_hash=tokens.hash_token(token), **lookups).first()
        if request is None or not tokens.check_token(request.pk, request.token_salt, token):
            return None
        return request


class LinkToken:
    """For a model with `token_salt` and `token_hash`: one contract for minting and reading."""

    def mint_token(self) -> str:
        """Give this request a new secret token; returns it. Only its hash is kept."""
        self.token_salt = tokens.new_salt()
        token = tokens.make_token(self.pk, self.token_salt)
        self.token_hash = tokens.hash_token(token)
        return token

    def token(self) -> str | None:
        """The token, to show the link again; None before one was minted, or once the key that
        made it was retired."""
        if not self.token_hash:
            return None
        return tokens.recover_token(self.pk, self.token_salt, self.token_hash)
