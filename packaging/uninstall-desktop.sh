#!/usr/bin/env bash
# Remove what packaging/install-desktop.sh installed for the current user: the files it
# listed in ${XDG_DATA_HOME:-~/.local/share}/voicebooth/desktop-install.list, and the
# folders it created if they are empty again. Nothing else is touched (the take history
# in the same voicebooth folder stays).
set -euo pipefail

DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
LIST="$DATA/voicebooth/desktop-install.list"
# Caches the desktop tools write into folders; ours to remove only from a folder we made.
CACHES="mimeinfo.cache icon-theme.cache"

if [ ! -f "$LIST" ]; then
    echo "uninstall-desktop.sh: nothing to remove ($LIST does not exist)"
    exit 0
fi

mapfile -t files < <(sed -n 's/^file //p' "$LIST")
mapfile -t dirs < <(sed -n 's/^dir //p' "$LIST")
for file in "${files[@]}"; do rm -f -- "$file"; done
rm -f -- "$LIST"

only_caches() {  # the folder holds nothing but the tools' caches
    local name
    for path in "$1"/* "$1"/.[!.]*; do
        [ -e "$path" ] || continue
        name="$(basename "$path")"
        case " $CACHES " in *" $name "*) ;; *) return 1 ;; esac
    done
    return 0
}
# Deepest first: a folder is empty only once the ones inside it are gone.
for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
    dir="${dirs[i]}"
    [ -d "$dir" ] || continue
    if only_caches "$dir"; then
        for cache in $CACHES; do rm -f -- "$dir/$cache"; done
        rmdir -- "$dir" 2>/dev/null || true
    fi
done

# Where other apps' entries and icons remain, their caches must forget ours.
if [ -d "$DATA/applications" ] && command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$DATA/applications" || true
fi
if [ -d "$DATA/icons/hicolor" ] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -f -t "$DATA/icons/hicolor" 2>/dev/null || true
fi
echo "Voicebooth's desktop entry and icons are removed from $DATA"
