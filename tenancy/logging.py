"""Keep invitation tokens out of every log line."""

import logging
import re

_TOKEN_PARAM = re.compile(r"(token=)[^&\s\"']+")


def redact(text: str) -> str:
    return _TOKEN_PARAM.sub(r"\1[redacted]", text)


class RedactInvitationTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True
