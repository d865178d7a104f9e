"""Expiry at a glance: a partner's admin relationships with a fixed end, by when it comes (in 30
days, 7, 1) or came (in the last 30 days, the last year). Read off the dates, as every
relationship's time-based state is: no job changes a row for a relationship to expire."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tenancy.choices import AdminRelationshipStatus
from tenancy.models import AdminRelationship

# The windows, as the tiles show them: (code, label, days; ahead or behind now).
WINDOWS = [
    ("30", gettext_lazy("Ends in 30 days"), 30, True),
    ("7", gettext_lazy("Ends in 7 days"), 7, True),
    ("1", gettext_lazy("Ends within a day"), 1, True),
    ("expired_30", gettext_lazy("Expired in the last 30 days"), 30, False),
    ("expired_365", gettext_lazy("Expired in the last year"), 365, False),
]
WINDOW_CODES = [code for code, *_rest in WINDOWS]


def _condition(days: int, ahead: bool, now) -> Q:
    fixed_end = Q(status=AdminRelationshipStatus.ACTIVE, auto_extend=False)
    if ahead:
        return fixed_end & Q(ends_at__gt=now, ends_at__lte=now + timedelta(days=days))
    return fixed_end & Q(ends_at__lte=now, ends_at__gt=now - timedelta(days=days))


def expiring(partner, window: str, now=None):
    """The partner's relationships in `window` (one of WINDOW_CODES)."""
    now = now or timezone.now()
    for code, _label, days, ahead in WINDOWS:
        if code == window:
            return AdminRelationship.objects.filter(partner=partner).filter(
                _condition(days, ahead, now)
            )
    raise ValueError(window)


def expiry_counts(partner, now=None) -> dict[str, int]:
    """How many relationships each window holds: one query."""
    now = now or timezone.now()
    counts = AdminRelationship.objects.filter(partner=partner).aggregate(
        **{
            f"window_{code}": Count("pk", filter=_condition(days, ahead, now))
            for code, _label, days, ahead in WINDOWS
        }
    )
    return {code: counts[f"window_{code}"] for code in WINDOW_CODES}
