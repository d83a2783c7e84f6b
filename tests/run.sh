#!/usr/bin/env bash
# The test suite on a new machine: bash tests/run.sh [pytest args...]
#   - installs Debian's chromium and poppler-utils if missing (only as root),
#   - creates .venv (Python 3.11) and installs billpay with its [test] extra,
#   - runs pytest with the arguments given; its exit code is this script's.
# PostgreSQL tests use BILLPAY_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432/test);
# they are skipped if it is unreachable, except under CI=true, where that fails the run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -x /usr/bin/chromium ]] || ! command -v pdftoppm >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "tests/run.sh: installing chromium and poppler-utils" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q chromium poppler-utils
    else
        echo "tests/run.sh: warning: /usr/bin/chromium or pdftoppm is missing and we are" \
             "not root; browser and PDF tests will be skipped or fail" >&2
    fi
fi

if [[ ! -x .venv/bin/python ]]; then
    python=""
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then
            python="$candidate"
            break
        fi
    done
    if [[ -z "$python" ]]; then
        echo "tests/run.sh: no python3.11 or python3 on PATH" >&2
        exit 1
    fi
    echo "tests/run.sh: creating .venv with $python" >&2
    "$python" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
fi

.venv/bin/pip install -q -e '.[test]'

exec .venv/bin/python -m pytest "$@"
