"""The collection hook of tests/markers.py, run by pytester on small projects laid out like ours:
``repo/`` with docs/decisions.md and tests/http, and RULES.md in ``shared/reference/`` beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RULES = """\
**R-001 — Endpoint and model.** The method is POST.

**R-051 — Effect of reporting "out of stock".** The offer is hidden.

**OQ-01 — Keys delivered twice.** **Our decision:** 200.
"""

DECISIONS = """\
# Decisions

## Query log

What is kept.

### The sandbox clock

It moves forward.
"""

CONFTEST = """\
from tests import markers


def pytest_addoption(parser):
    markers.add_options(parser)


def pytest_collection_modifyitems(config, items):
    markers.check_collection(config, items)
"""

INI = """\
[pytest]
markers =
    rule: a rule of RULES.md
    decision: a heading of docs/decisions.md
    slow: slow
"""


def project(
    pytester: pytest.Pytester, tests: str, *, folder: str = "http", rules: bool = True
) -> Path:
    """``repo/`` with ``tests`` as tests/<folder>/test_sample.py; RULES.md beside it if asked."""
    repo = pytester.mkdir("repo")
    (repo / "pytest.ini").write_text(INI, encoding="utf-8")
    (repo / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (repo / "docs").mkdir()
    (repo / "docs" / "decisions.md").write_text(DECISIONS, encoding="utf-8")
    add_tests(repo, folder, tests)
    if rules:
        reference = pytester.path / "shared" / "reference"
        reference.mkdir(parents=True)
        (reference / "RULES.md").write_text(RULES, encoding="utf-8")
    return repo


def add_tests(repo: Path, folder: str, tests: str) -> None:
    (repo / "tests" / folder).mkdir(parents=True)
    (repo / "tests" / folder / "test_sample.py").write_text(tests, encoding="utf-8")


def collect(pytester: pytest.Pytester, repo: Path, *args: str) -> pytest.RunResult:
    plugins = ("-p", "no:cacheprovider", "-p", "no:asyncio")
    ini = str(repo / "pytest.ini")
    return pytester.runpytest("--collect-only", "-q", *plugins, "-c", ini, *args, str(repo))


def refused(result: pytest.RunResult) -> str:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    errors = result.stderr.str()
    assert "rule and decision markers:" in errors
    return errors


def test_markers_on_the_function_pass(pytester: pytest.Pytester) -> None:
    repo = project(
        pytester,
        """\
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("tmp_path")]


@pytest.mark.rule("R-001", "OQ-01")
def test_rule():
    pass


@pytest.mark.decision("The sandbox clock")
def test_decision():
    pass


@pytest.mark.parametrize(
    "n",
    [
        pytest.param(1, marks=pytest.mark.rule("R-001")),
        pytest.param(2, marks=pytest.mark.decision("Query log")),
    ],
)
def test_param(n):
    pass
""",
    )
    result = collect(pytester, repo)
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    result.stdout.fnmatch_lines(["*4 tests collected*"])


def test_a_module_level_rule_marker_is_refused(pytester: pytest.Pytester) -> None:
    repo = project(
        pytester,
        """\
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.rule("R-001")]


@pytest.mark.rule("OQ-01")
def test_one():
    pass


def test_two():
    pass
""",
    )
    errors = refused(collect(pytester, repo))
    assert errors.count("(module): @pytest.mark.rule must be given on each test function") == 1
    assert "tests/http/test_sample.py (module)" in errors


def test_a_class_level_decision_marker_is_refused(pytester: pytest.Pytester) -> None:
    repo = project(
        pytester,
        """\
import pytest


@pytest.mark.decision("Query log")
class TestLog:
    def test_kept(self):
        pass
""",
    )
    errors = refused(collect(pytester, repo))
    assert "tests/http/test_sample.py::TestLog (class): @pytest.mark.decision must be" in errors


def test_an_unknown_rule_id_is_refused_when_rules_md_is_present(pytester: pytest.Pytester) -> None:
    repo = project(
        pytester,
        """\
import pytest


@pytest.mark.rule("R-001", "R-999")
def test_named():
    pass
""",
    )
    errors = refused(collect(pytester, repo))
    assert "tests/http/test_sample.py::test_named: unknown rule id 'R-999'" in errors
    assert "R-001" not in errors


def test_rule_ids_go_unchecked_without_rules_md(pytester: pytest.Pytester) -> None:
    repo = project(
        pytester,
        """\
import pytest


@pytest.mark.rule("R-999")
def test_named():
    pass
""",
        rules=False,
    )
    result = collect(pytester, repo)
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()


def test_a_rule_listed_as_not_testable_is_refused(pytester: pytest.Pytester) -> None:
    repo = project(
        pytester,
        """\
import pytest


@pytest.mark.rule("R-051")
def test_hidden():
    pass
""",
        rules=False,
    )
    errors = refused(collect(pytester, repo))
    assert "tests/http/test_sample.py::test_hidden: R-051 is not testable" in errors


def test_an_unknown_decision_heading_is_refused(pytester: pytest.Pytester) -> None:
    repo = project(
        pytester,
        """\
import pytest


@pytest.mark.decision("Query log")
@pytest.mark.decision("Decisions")
@pytest.mark.decision("The query log")
def test_decided():
    pass
""",
    )
    errors = refused(collect(pytester, repo))
    assert "test_decided: unknown decision 'Decisions'" in errors
    assert "test_decided: unknown decision 'The query log'" in errors
    assert "'Query log'" not in errors


def test_service_tests_need_a_marker_and_unit_tests_do_not(pytester: pytest.Pytester) -> None:
    repo = project(pytester, "def test_unmarked():\n    pass\n")
    add_tests(repo, "unit", "def test_unit():\n    pass\n")
    errors = refused(collect(pytester, repo))
    assert "tests/http/test_sample.py::test_unmarked: needs @pytest.mark.rule" in errors
    assert "test_unit" not in errors


def test_the_report_lists_rules_and_decisions(pytester: pytest.Pytester) -> None:
    repo = project(
        pytester,
        """\
import pytest


@pytest.mark.rule("R-001")
@pytest.mark.decision("Query log")
@pytest.mark.parametrize("n", [1, 2])
def test_both(n):
    pass
""",
    )
    target = pytester.path / "report.json"
    result = collect(pytester, repo, f"--rules-report={target}")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    both = ["tests/http/test_sample.py::test_both[1]", "tests/http/test_sample.py::test_both[2]"]
    assert json.loads(target.read_text(encoding="utf-8")) == {
        "rules": {"R-001": both},
        "decisions": {"Query log": both},
    }
