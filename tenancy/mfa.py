"""Second factors: which a user has, and what the passkey library asks of the project."""

from django.http import HttpRequest


def relying_party_id(request: HttpRequest) -> str:
    """A passkey's relying party is the host the user signs in on, without its port."""
    return request.get_host().rsplit(":", 1)[0] if "]" not in request.get_host() else ""
