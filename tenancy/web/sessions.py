"""Django's database sessions, whose read (one on every page) is compiled once
(tenancy.prepared), not on every request: the same query, the same row, the same expiry."""

import logging

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from tenancy.prepared import Prepared

_LIVE_SESSION = Prepared(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now),
    key=Session._meta.get_field("session_key"),
    now=Session._meta.get_field("expire_date"),
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        try:
            session = _LIVE_SESSION.first(key=self.session_key, now=timezone.now())
        except SuspiciousOperation as e:  # as Django's: logged, and no session
            logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            session = None
        if session is None:
            self._session_key = None
        return session
