#!/usr/bin/env bash
# Set up Voicebooth (system packages, venv, Python packages) and start the window.
# Arguments are passed to the app: ./scripts/start.sh say "Hello" -o hello.wav
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
# shellcheck disable=SC2086
vb_apt $VB_APT_RUNTIME
vb_venv ""
exec "$VB_ROOT/.venv/bin/python" "$VB_ROOT/main.py" "$@"
