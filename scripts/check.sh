#!/usr/bin/env bash
# `make check`: every check CI runs, in order, each with its time; the test suite runs last.
# Every step runs even after a failure, so one run shows everything to mend; the exit code is
# that of the first failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
CODE=(src tests benchmarks scripts)
status=0
summary=()

step() {
  local name=$1 started=$SECONDS result
  shift
  echo "== $name: $*"
  "$@"
  result=$?
  local line
  line=$(printf '%-22s %-6s %4d s' "$name" "$([ $result -eq 0 ] && echo ok || echo FAILED)" $((SECONDS - started)))
  echo "== $line"
  summary+=("$line")
  if [ $result -ne 0 ] && [ $status -eq 0 ]; then status=$result; fi
}

step "ruff check" "$BIN/ruff" check "${CODE[@]}"
step "ruff format" "$BIN/ruff" format --check "${CODE[@]}"
step "mypy --strict" "$BIN/mypy" "${CODE[@]}"
step "import contracts" "$BIN/lint-imports"
step "docs/rules.md" "$BIN/python" scripts/rules_doc.py --check
step "tests (make test)" "${MAKE:-make}" --no-print-directory test

echo "== summary"
printf '   %s\n' "${summary[@]}"
exit $status
