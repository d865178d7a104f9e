"""Keep invitation tokens out of every log line."""

import logging
import re

_TOKEN_PARAM = re.compile(r"(token=)[^&\s\"']+")


def redact(text: str) -> str:
    return _TOKEN_PARAM.sub(r"\1[redacted]", text)


class SkipTooManyRequests(logging.Filter):
    """Django logs every 4xx answer; a refused flood of guesses (429) would be a line each. The
    lock itself is logged (by Axes) and audited once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 429


class RedactInvitationTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
