#!/usr/bin/env bash
# Build Voicebooth as one folder, dist/voicebooth/ (the program dist/voicebooth/voicebooth),
# check it with its own --self-test, and print its size and the test's time.
#
#   packaging/build.sh                  build and self-test
#   packaging/build.sh --install        ... then install its desktop entry and icons
#   packaging/build.sh --distpath DIR   build into DIR/voicebooth instead of dist/
#
# From a fresh clone this installs what it needs first: the Debian packages whose
# libraries go into the bundle (PortAudio, Qt's xcb dependencies), binutils
# (PyInstaller reads the libraries with objdump), and the venv with the 'bundle' extra.
set -euo pipefail
source "$(dirname "$0")/../scripts/bootstrap.sh"
cd "$VB_ROOT"

install=0
dist="$VB_ROOT/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1 ;;
        --distpath) dist="$(realpath -m "$2")"; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck disable=SC2086
vb_apt $VB_APT_RUNTIME binutils
PY="$VB_ROOT/.venv/bin/python"
# A venv that already has PyInstaller is used as it is (a developer's venv with the
# test extras, say); otherwise the venv is made or completed with the 'bundle' extra.
if ! { [ -x "$PY" ] && "$PY" -c "import PyInstaller, app" 2>/dev/null; }; then
    vb_venv "bundle"
fi

echo "== building $dist/voicebooth"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
started=$(ms)
# The build must not pick up a checkout elsewhere through PYTHONPATH.
PYTHONPATH="$VB_ROOT" "$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$dist" --workpath "$VB_ROOT/build/pyinstaller" packaging/voicebooth.spec
built=$(ms)
program="$dist/voicebooth/voicebooth"

echo "== self-test: $program --self-test"
# From another folder and without PYTHONPATH: the bundle must need nothing outside it.
(cd / && env -u PYTHONPATH "$program" --self-test)
tested=$(ms)

size=$(du -sm "$dist/voicebooth" | cut -f1)
printf '== built in %d s; %s MB on disk; self-test %d.%d s\n' $(( (built - started) / 1000 )) \
    "$size" $(( (tested - built) / 1000 )) $(( (tested - built) % 1000 / 100 ))

if [ "$install" = 1 ]; then
    if [ -x "$VB_ROOT/packaging/install-desktop.sh" ]; then
        "$VB_ROOT/packaging/install-desktop.sh" --exec "$program"
    else
        echo "build.sh: packaging/install-desktop.sh is missing: the desktop entry was not" \
             "installed" >&2
        exit 1
    fi
fi
