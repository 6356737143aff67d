# Shared set-up for scripts/start.sh and scripts/test.sh (sourced, not run).
# Installs the Debian packages a mode needs (when missing), then the venv and the
# Python packages (again only when pyproject.toml changed since the last install).

_vb_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }
VB_ROOT="$(_vb_root)"

# Qt's xcb platform plugin needs these on a desktop or under Xvfb.
VB_APT_RUNTIME="libportaudio2 libasound2-plugins libxcb-cursor0 libxcb-icccm4 libxcb-image0
 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
 libxkbcommon-x11-0 libxkbcommon0 libegl1 libgl1 libdbus-1-3 fontconfig fonts-dejavu-core"
# Tests add a virtual sound device, a virtual display, a real Secret Service, screenshots,
# and the validators of the desktop entry and the AppStream metainfo.
VB_APT_TEST="pulseaudio pulseaudio-utils xvfb xdotool imagemagick gnome-keyring dbus
 desktop-file-utils appstream"

vb_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        echo "voicebooth: please install these packages: ${missing[*]}" >&2
        return 1
    fi
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "voicebooth: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

vb_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null || continue
        if "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' \
            2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "voicebooth: needs Python 3.11, 3.12 or 3.13" >&2
    return 1
}

# vb_venv EXTRAS: create .venv and install the project with those extras ("" or "test,dev").
# Each set of extras has its own stamp (the hash of pyproject.toml it was installed
# for), so switching between start.sh and test.sh does not reinstall; installing
# "test,dev" installs the app's own packages too, so it stamps both.
vb_venv() {
    local extras="$1" py hash stamp
    py="$(vb_python)" || return 1
    if [ ! -x "$VB_ROOT/.venv/bin/python" ]; then
        "$py" -m venv "$VB_ROOT/.venv" || {
            vb_apt python3-venv && "$py" -m venv "$VB_ROOT/.venv"; } || return 1
    fi
    hash="$(sha256sum "$VB_ROOT/pyproject.toml" | cut -c1-16)"
    stamp="$VB_ROOT/.venv/.voicebooth-installed-${extras:-app}"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]; then
        "$VB_ROOT/.venv/bin/python" -m pip install -q --upgrade pip >/dev/null
        local spec="$VB_ROOT"
        [ -n "$extras" ] && spec="$VB_ROOT[$extras]"
        "$VB_ROOT/.venv/bin/python" -m pip install -q -e "$spec" || return 1
        echo "$hash" > "$stamp"
        [ -n "$extras" ] && echo "$hash" > "$VB_ROOT/.venv/.voicebooth-installed-app"
    fi
    # The editable install leaves app/ uncompiled: the first launch would compile ~200
    # modules (window and engine both) before its first paint. compileall skips what is
    # up to date, so this costs a fraction of a second once the code is compiled.
    "$VB_ROOT/.venv/bin/python" -m compileall -q "$VB_ROOT/app" >/dev/null || return 1
    return 0
}

# vb_wheelhouse: the build backend (setuptools) as a wheel in build/wheelhouse, fetched once,
# so the wheel test builds Voicebooth's wheel with no network (pip --no-index --find-links).
# The venv's own setuptools is too old for pyproject's licence field (PEP 639 needs 77).
vb_wheelhouse() {
    VB_WHEELHOUSE="$VB_ROOT/build/wheelhouse"
    compgen -G "$VB_WHEELHOUSE/setuptools-*.whl" >/dev/null && return 0
    mkdir -p "$VB_WHEELHOUSE"
    "$VB_ROOT/.venv/bin/python" -m pip download -q --no-deps --only-binary=:all: \
        -d "$VB_WHEELHOUSE" "setuptools>=77" \
        || echo "voicebooth: could not fetch setuptools into $VB_WHEELHOUSE: the wheel test" \
                "will fail" >&2
}

# vb_validate_desktop: the desktop entry and the AppStream metainfo, as the stores check them.
vb_validate_desktop() {
    desktop-file-validate "$VB_ROOT/resources/io.github.voicebooth.Voicebooth.desktop"
    appstreamcli validate --no-net "$VB_ROOT/resources/io.github.voicebooth.Voicebooth.metainfo.xml"
}
