#!/usr/bin/env bash
# Install Voicebooth's desktop entry, icons and AppStream metainfo for the current user,
# so it appears in the launcher with its icon:
#   packaging/install-desktop.sh [--exec PATH]
# PATH is the program the entry starts (default: the voicebooth on $PATH); build.sh passes
# the bundle's dist/voicebooth/voicebooth. Everything goes under
# ${XDG_DATA_HOME:-~/.local/share}; what was written is listed in
# voicebooth/desktop-install.list there, which packaging/uninstall-desktop.sh reads to
# remove exactly that.
set -euo pipefail

APP_ID="io.github.voicebooth.Voicebooth"
SIZES="16 24 32 48 64 128 256 512"
RESOURCES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../resources" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
LIST="$DATA/voicebooth/desktop-install.list"

die() { echo "install-desktop.sh: $*" >&2; exit 2; }

exec_path=""
while [ $# -gt 0 ]; do
    case "$1" in
        --exec) [ $# -ge 2 ] || die "--exec needs the path of the voicebooth program"
                exec_path="$2"; shift 2 ;;
        --exec=*) exec_path="${1#--exec=}"; shift ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (usage: install-desktop.sh [--exec PATH])" ;;
    esac
done

if [ -z "$exec_path" ]; then
    exec_path="$(command -v voicebooth || true)"
    [ -n "$exec_path" ] || die "voicebooth is not on PATH: pass the program to start, \
e.g. --exec \"\$PWD/dist/voicebooth/voicebooth\""
fi
case "$exec_path" in /*) ;; *) exec_path="$PWD/$exec_path" ;; esac
[ -f "$exec_path" ] && [ -x "$exec_path" ] || die "--exec $exec_path: no executable file there"
# The desktop entry's Exec has its own quoting; these characters would need escapes that
# launchers disagree on, so such a path is refused rather than installed broken.
case "$exec_path" in
    *[\"\`\$\\%]*|*$'\n'*) die "--exec $exec_path: the path holds a character a desktop entry \
cannot quote reliably (\" \` \$ \\ %); move the program to a plainer path" ;;
esac
command_line="$exec_path"
case "$exec_path" in *[!A-Za-z0-9/._+-]*) command_line="\"$exec_path\"" ;; esac

# Record each folder before creating it, so uninstalling removes only folders we made.
mkdir -p "$DATA"
created=()
make_dir() {
    local dir="$1" missing=()
    while [ ! -d "$dir" ]; do missing=("$dir" "${missing[@]}"); dir="$(dirname "$dir")"; done
    [ ${#missing[@]} -eq 0 ] && return 0
    mkdir -p "$1"
    created+=("${missing[@]}")
}
installed=()
put() {  # put SOURCE TARGET
    make_dir "$(dirname "$2")"
    install -m 644 "$1" "$2"
    installed+=("$2")
}

if [ -f "$LIST" ]; then  # a second install replaces the first: keep its folder records
    mapfile -t previous < <(sed -n 's/^dir //p' "$LIST")
    created+=("${previous[@]}")
fi
make_dir "$(dirname "$LIST")"

entry="$(mktemp)"
trap 'rm -f "$entry"' EXIT
sed -e "s|^Exec=.*|Exec=$command_line|" -e "/^Exec=/a TryExec=$exec_path" \
    "$RESOURCES/$APP_ID.desktop" > "$entry"
put "$entry" "$DATA/applications/$APP_ID.desktop"
for size in $SIZES; do
    put "$RESOURCES/icons/voicebooth-$size.png" \
        "$DATA/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
put "$RESOURCES/voicebooth.svg" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
put "$RESOURCES/$APP_ID.metainfo.xml" "$DATA/metainfo/$APP_ID.metainfo.xml"

{
    printf 'dir %s\n' "${created[@]}" | awk '!seen[$0]++' | grep -v '^dir $' || true
    printf 'file %s\n' "${installed[@]}"
} > "$LIST"

# Launchers read these caches; without the tools they rescan on their own.
if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$DATA/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -f -t "$DATA/icons/hicolor" 2>/dev/null || true
fi
echo "Voicebooth's desktop entry is installed in $DATA/applications (it starts $exec_path)"
