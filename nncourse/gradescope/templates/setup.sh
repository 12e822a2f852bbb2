#!/usr/bin/env bash
# Gradescope image build: system packages, a world-readable venv with the pinned CPU torch, nncourse.
# Base image: one with Python >= 3.11 (e.g. Ubuntu 24.04). The sandbox's worker runs this venv's
# interpreter as an unprivileged uid, so the venv lives outside /autograder/source (kept 0700).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap libseccomp2 util-linux procps >/dev/null
PYTHON=$(command -v python3.11 || command -v python3)
"$PYTHON" -m venv /autograder/venv
# The CPU build of torch: a plain 'pip install torch' would pull several GB of CUDA libraries.
/autograder/venv/bin/pip install -q "torch==2.13.0" --index-url "${NNCOURSE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
/autograder/venv/bin/pip install -q /autograder/source
chmod -R a+rX /autograder/venv
chmod 0700 /autograder/source
