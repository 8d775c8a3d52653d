"""``--access-log``: uvicorn's access log, one line per request, with ``token=`` values hidden.

``GET /sandbox/docs?token=<Sandbox-Token>`` signs a browser in (market/sandbox/_session.py): the
token must not land in a log file. uvicorn configures logging in every worker from
``log_config``, so the filter is named there by its import path.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any, Final

REDACTED: Final = "***"
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&#\s]*", re.IGNORECASE)
_PATH_ARG = 2  # uvicorn's access record: (client, method, path with query, HTTP version, status)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG:
            path = args[_PATH_ARG]
            if isinstance(path, str):
                hidden = _TOKEN_IN_QUERY.sub(rf"\g<1>{REDACTED}", path)
                record.args = (*args[:_PATH_ARG], hidden, *args[_PATH_ARG + 1 :])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, its access handler behind ``RedactTokens``."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    config["handlers"]["access"]["filters"] = ["redact_tokens"]
    return config
