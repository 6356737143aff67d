#!/usr/bin/env bash
# Drive the real window under Xvfb as a user would and take the screenshots in docs/:
# play a take with the offline engine (the word lights up), one line in five voices,
# a take starred, noted and found again, a word tuned in the pronunciation lab, a
# markup error, a search.
# Needs what ./scripts/test.sh installs (xvfb, xdotool, imagemagick, the sound server).
#   ./scripts/screenshots.sh [OUT_DIR]      (default: docs/)
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
cd "$VB_ROOT"
OUT="${1:-$VB_ROOT/docs}"
mkdir -p "$OUT"
SANDBOX="$(mktemp -d -t voicebooth-shots.XXXXXX)"
export HOME="$SANDBOX/home" XDG_DATA_HOME="$SANDBOX/data" XDG_CONFIG_HOME="$SANDBOX/config" \
       XDG_CACHE_HOME="$SANDBOX/cache" XDG_RUNTIME_DIR="$SANDBOX/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset QT_QPA_PLATFORM CARTESIA_API_KEY CARTESIA_BASE_URL
source "$VB_ROOT/scripts/pulse.sh"
pulse_start
export DISPLAY=:77
Xvfb "$DISPLAY" -screen 0 1440x900x24 >/dev/null 2>&1 &
XVFB=$!
APP=""
cleanup() {
    [ -n "$APP" ] && kill "$APP" 2>/dev/null
    kill "$XVFB" 2>/dev/null
    pulse_stop
    rm -rf "$SANDBOX"
}
trap cleanup EXIT
sleep 1

"$VB_ROOT/.venv/bin/python" main.py --offline >"$SANDBOX/app.log" 2>&1 &
APP=$!
WID=""
for _ in $(seq 100); do
    WID="$(xdotool search --name '^Voicebooth$' 2>/dev/null | head -1)" && [ -n "$WID" ] && break
    sleep 0.2
done
[ -n "$WID" ] || { echo "screenshots: the window did not appear" >&2; cat "$SANDBOX/app.log" >&2; exit 1; }
xdotool windowsize "$WID" 1400 860 windowmove "$WID" 0 0
sleep 4  # the engine's models load in the background
shot() { import -window root -crop 1400x860+0+0 +repage "$OUT/$1"; echo "wrote $OUT/$1"; }

# The editor is at the centre top of the window: type a line and play it.
xdotool mousemove 700 250 click 1 key ctrl+a
xdotool type --delay 12 'Hello there! This take streams from the offline engine, <break time="300ms"/> and every word lights up as it is spoken.'
xdotool key ctrl+Return
sleep 2.3
shot window-playing.png
sleep 5

# One line in several voices: the comparison window opens over the main one (no window
# manager under Xvfb, so it sits where Qt puts it); tick four more voices and render.
xdotool mousemove 700 250 click 1 key ctrl+a
xdotool type --delay 12 'Cartesia makes voices that sound like people.'
xdotool key ctrl+shift+c
sleep 1.5
for y in 210 224 238 350; do xdotool mousemove 231 "$y" click 1; sleep 0.2; done
xdotool mousemove 536 606 click 1
sleep 12
import -window root "$OUT/compare-voices.png"; echo "wrote $OUT/compare-voices.png"
xdotool key Escape
sleep 0.5

# Takes told apart: four stars and a note on the newest, then find it by its note.
xdotool mousemove 1372 105 click 1
xdotool mousemove 1180 112 click 1
xdotool mousemove 1240 770 click 1
xdotool type --delay 10 'warm, keep for the intro'
xdotool key Return
xdotool mousemove 1250 49 click 1
xdotool type --delay 20 'intro'
sleep 1
shot history.png
xdotool key ctrl+a BackSpace

# Tuning one word: select "Cartesia", open the pronunciation lab, add a sounds-like
# candidate beside the engine's IPA and render both in their sentence.
xdotool mousemove 700 250 click 1 key ctrl+a
xdotool type --delay 12 'Try Cartesia, the fastest voices.'
xdotool mousemove 555 128 click --repeat 2 1
xdotool key ctrl+shift+p
sleep 3
xdotool type --delay 15 'kar-TEE-zhuh'
xdotool key Return
sleep 0.5
xdotool mousemove 251 576 click 1
sleep 14
import -window root "$OUT/pronunciation-lab.png"; echo "wrote $OUT/pronunciation-lab.png"
xdotool key Escape
sleep 0.5

xdotool mousemove 700 250 click 1 key ctrl+a
xdotool type --delay 12 'Welcome to <brek time="1s"/> the studio. <speed ratio="2"/>Faster now.'
sleep 1
shot markup-error.png

xdotool key ctrl+f
xdotool type --delay 20 'english'
sleep 0.8
shot voice-picker.png

xdotool key ctrl+q
wait "$APP" 2>/dev/null || true
APP=""
