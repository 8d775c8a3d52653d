"""``dbskit check-cart``'s URL argument and its progress lines."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from dbskit.checker.runner import Progress
from dbskit.cli.check_cart import progress_line, store_url
from dbskit.cli.main import app


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8081",
        "https://shop.example/market/api",
        "http://[::1]:8484/store/",
        "http://localhost",
    ],
)
def test_a_base_url_of_a_host_is_taken_as_given(url: str) -> None:
    assert store_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("not-a-url", "is not an http:// or https:// URL of a host", id="no-scheme"),
        pytest.param("127.0.0.1:8081", "is not an http:// or https:// URL of a host", id="bare"),
        pytest.param("ftp://shop.example", "is not an http:// or https:// URL", id="ftp"),
        pytest.param("http://", "is not an http:// or https:// URL of a host", id="no-host"),
        pytest.param("http://host:port", "is not an http:// or https:// URL", id="bad-port"),
        pytest.param("http://host:0", "is not an http:// or https:// URL", id="port-zero"),
        pytest.param("http://[::1", "is not an http:// or https:// URL", id="open-bracket"),
        pytest.param("http://host/api?x=1", "has a query or fragment", id="query"),
        pytest.param("http://host/api#top", "has a query or fragment", id="fragment"),
    ],
)
def test_anything_else_is_refused_naming_the_value(url: str, reason: str) -> None:
    with pytest.raises(typer.BadParameter) as refused:
        store_url(url)
    assert str(refused.value).startswith(f"{url!r} {reason}")


def test_a_bad_url_is_a_usage_error_before_any_call() -> None:
    result = CliRunner().invoke(app, ["check-cart", "not-a-url", "--token", "t"])
    assert result.exit_code == 2
    text = " ".join(result.output.replace("│", " ").split())  # the message box's lines joined
    assert "Invalid value for 'URL': 'not-a-url' is not an http:// or https:// URL" in text


@pytest.mark.parametrize(
    ("progress", "line"),
    [
        (Progress(0, 14, 0, 2.01), "dbskit: 0/14 requests done after 2 s"),
        (
            Progress(8, 14, 8, 11.2),
            "dbskit: 8/14 requests done after 11 s (8 without an answer)",
        ),
    ],
)
def test_a_progress_line_counts_the_calls_done(progress: Progress, line: str) -> None:
    assert progress_line(progress) == line
