"""Create .venv and install dbskit into it with the given extras, once, under a lock.

    python scripts/environment.py [EXTRA ...]      e.g.  python scripts/environment.py dev

Every make target that needs the environment calls this first. The lock (``.venv.lock``) lets
targets started together (``make serve`` and ``make test`` in two terminals) wait for each other
instead of racing in pip. The stamp file records the extras installed and the hash of
pyproject.toml: nothing is installed again until either changes, and a target whose extras are
already in the environment (``serve`` after ``test``) installs nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
LOCK = ROOT / ".venv.lock"
STAMP = VENV / ".dbskit-installed.json"


def pyproject_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def installed() -> tuple[str, set[str]]:
    try:
        stamp = json.loads(STAMP.read_text())
        return str(stamp["pyproject"]), set(stamp["extras"])
    except (OSError, ValueError, KeyError, TypeError):
        return "", set()


def ensure(extras: set[str]) -> None:
    digest = pyproject_hash()
    have_digest, have_extras = installed()
    if have_digest == digest and extras <= have_extras:
        return
    if not (VENV / "bin" / "python").exists():
        print(f"creating {VENV.relative_to(ROOT)}", flush=True)
        venv.create(VENV, with_pip=True)
    wanted = extras | have_extras if have_digest == digest else extras
    target = f".[{','.join(sorted(wanted))}]" if wanted else "."
    python = str(VENV / "bin" / "python")
    print(f"installing dbskit {target} into {VENV.relative_to(ROOT)}", flush=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-e", target], cwd=ROOT, check=True)
    STAMP.write_text(json.dumps({"pyproject": digest, "extras": sorted(wanted)}))


def main() -> int:
    extras = set(sys.argv[1:])
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the file closes
        ensure(extras)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
