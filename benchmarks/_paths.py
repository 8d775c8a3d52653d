"""Where things are: the checkout, its sources, the reference spec, the results and caches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
RESULTS_DIR = REPO / "benchmarks" / "results"
SPEC_RELATIVE = Path("shared/reference/openapi/partner-api-dbs.yaml")
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dbskit-benchmarks"


def use_checkout_sources() -> None:
    """Let a plain interpreter (no ``pip install -e .``) import dbskit from this checkout."""
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server process: ours without DBSKIT_*, with the checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSKIT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def reference_spec() -> Path | None:
    """``<repo>/../shared/...``; from a linked git worktree, also next to the main checkout."""
    candidates = [REPO.parent / SPEC_RELATIVE]
    try:
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        candidates.append(Path(common).parent.parent / SPEC_RELATIVE)
    except (OSError, subprocess.SubprocessError):
        pass
    return next((path for path in candidates if path.is_file()), None)
