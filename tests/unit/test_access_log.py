"""``--access-log``: uvicorn's access lines, with the value of a ``token=`` parameter hidden."""

from __future__ import annotations

import logging
import logging.config

import pytest

from dbskit.cli._access_log import RedactTokens, log_config


def access_record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        pytest.param("/sandbox/docs?token=s3cret", "/sandbox/docs?token=***", id="alone"),
        pytest.param("/x?a=1&token=s3cret&b=2", "/x?a=1&token=***&b=2", id="between"),
        pytest.param("/x?TOKEN=s3cret", "/x?TOKEN=***", id="any-case"),
        pytest.param("/x?mytoken=s3cret", "/x?mytoken=s3cret", id="another-name"),
        pytest.param("/healthz", "/healthz", id="no-query"),
    ],
)
def test_token_values_are_hidden(path: str, logged: str) -> None:
    record = access_record(path)
    assert RedactTokens().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "GET {logged} HTTP/1.1" 200'


def test_the_filter_sits_on_uvicorns_access_handler() -> None:
    config = log_config()
    assert config["handlers"]["access"]["filters"] == ["redact_tokens"]
    assert config["filters"]["redact_tokens"] == {"()": "dbskit.cli._access_log.RedactTokens"}
    # Each worker resolves the filter from its dotted name.
    factory = logging.config.BaseConfigurator(config).resolve(
        config["filters"]["redact_tokens"]["()"]
    )
    assert factory is RedactTokens
