#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian/Ubuntu machine and run them all:
# linters (ruff, mypy --strict on the core, import contracts), then pytest with a
# PulseAudio null sink as the sound device and gnome-keyring as the Secret Service.
# Arguments go to pytest: ./scripts/test.sh tests/cartesia -x
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
# shellcheck disable=SC2086
vb_apt $VB_APT_RUNTIME $VB_APT_TEST binutils
# 'bundle' (PyInstaller): the suite builds the desktop bundle once and runs its self-test.
vb_venv "test,dev,bundle"
cd "$VB_ROOT"
PY="$VB_ROOT/.venv/bin/python"

echo "== ruff"; "$PY" -m ruff check .
echo "== mypy --strict (all of app)"; "$PY" -m mypy
echo "== import contracts"; "$VB_ROOT/.venv/bin/lint-imports"
echo "== desktop entry and metainfo"; vb_validate_desktop
vb_wheelhouse
export VOICEBOOTH_WHEELHOUSE="$VB_WHEELHOUSE"
# tests/bundle/test_build.py builds the bundle (minutes); VOICEBOOTH_BUNDLE_TEST=0 skips it
# in a quick local loop, never in CI.
export VOICEBOOTH_BUNDLE_TEST="${VOICEBOOTH_BUNDLE_TEST:-1}"

# Everything the tests write (keyring, settings, history, sound server) stays in here.
SANDBOX="$(mktemp -d -t voicebooth-tests.XXXXXX)"
export HOME="$SANDBOX/home" XDG_DATA_HOME="$SANDBOX/data" XDG_CONFIG_HOME="$SANDBOX/config" \
       XDG_CACHE_HOME="$SANDBOX/cache" XDG_RUNTIME_DIR="$SANDBOX/run"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset CARTESIA_API_KEY CARTESIA_BASE_URL DISPLAY
export QT_QPA_PLATFORM=offscreen PYTHONASYNCIODEBUG=1 PYTHONDONTWRITEBYTECODE=1 \
       VOICEBOOTH_TEST_SERVICES=1

source "$VB_ROOT/scripts/pulse.sh"
pulse_start
cleanup() { pulse_stop || true; rm -rf "$SANDBOX"; }
trap cleanup EXIT

echo "== pytest"
set +e
dbus-run-session -- bash -c '
    eval "$(printf voicebooth | gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    exec "$0" -m pytest -W error::RuntimeWarning "$@"' "$PY" "$@"
status=$?
set -e
exit $status
