#!/usr/bin/env bash
# Creates .venv and installs nncourse with its pinned dependencies; installs the sandbox's Debian
# packages when run as root. Idempotent: make calls it only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
    missing=""
    command -v bwrap >/dev/null || missing="$missing bubblewrap"
    dpkg -s python3-venv >/dev/null 2>&1 || missing="$missing python3-venv"
    dpkg -s libseccomp2 >/dev/null 2>&1 || missing="$missing libseccomp2"
    # the tests start a throwaway PostgreSQL server of their own (tests/pg_server.py)
    dpkg -s postgresql >/dev/null 2>&1 || missing="$missing postgresql"
    command -v openssl >/dev/null || missing="$missing openssl"  # the cluster tests' certificates
    if [ -n "$missing" ]; then
        echo "setup: installing Debian packages:$missing"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
else
    command -v bwrap >/dev/null || echo "setup: WARNING bubblewrap is missing and this is not root;" \
        "'nncourse grade' will refuse to run without --insecure" >&2
    dpkg -s postgresql >/dev/null 2>&1 || echo "setup: WARNING postgresql is missing and this is" \
        "not root; tests/test_postgres.py will fail (apt-get install postgresql)" >&2
fi

# The sandboxed worker runs this venv's interpreter as an unprivileged uid, so the venv must be
# built from the system interpreter (world-readable), not from one under a 0700 home directory.
if [ ! -x .venv/bin/python ]; then
    /usr/bin/python3 -m venv .venv
fi
umask 022
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[dev]'
chmod -R a+rX .venv
echo "setup: .venv ready ($(.venv/bin/python --version))"
