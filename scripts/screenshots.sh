#!/usr/bin/env bash
# Drive the real window under Xvfb as a user would and take the screenshots in docs/:
# play a take with the offline engine (the word lights up), one line in five voices,
# a take starred, noted and found again, a word tuned in the pronunciation lab, a
# markup error, a search; then, in a fresh app, a 40-line script imported and rendered,
# one sentence of line 12 retaken and a variant kept, and every line exported.
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

# Start the window with the offline engine, 1400x860 at the top left; $1: its log.
start_app() {
    "$VB_ROOT/.venv/bin/python" main.py --offline >"$1" 2>&1 &
    APP=$!
    local wid=""
    for _ in $(seq 100); do
        wid="$(xdotool search --name '^Voicebooth' 2>/dev/null | head -1)" && [ -n "$wid" ] && break
        sleep 0.2
    done
    [ -n "$wid" ] || { echo "screenshots: the window did not appear" >&2; cat "$1" >&2; exit 1; }
    xdotool windowsize "$wid" 1400 860 windowmove "$wid" 0 0
    sleep 4  # the engine's models load in the background
}

start_app "$SANDBOX/app.log"
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

# Producing clips, in a fresh data folder: import 40 lines, render them all, retake one
# sentence of line 12, keep a variant, export every line as 48 kHz FLAC at -16 LUFS.
export XDG_DATA_HOME="$SANDBOX/data2" XDG_CONFIG_HOME="$SANDBOX/config2"
"$VB_ROOT/.venv/bin/python" - "$SANDBOX/lines.csv" <<'PY'
import csv, sys
texts = ["Welcome back, commander.", "Your shields are at fifty percent.",
         "Incoming transmission from the outpost.", "Press start to continue.",
         "Mission complete. Well done.", "The gate is locked. Find the key.",
         "Low fuel. Return to base.", "New objective: reach the tower.", "Checkpoint reached.",
         "You found a rare crystal.", "Enemy drones detected to the north.",
         "The storm is coming. Take shelter before nightfall, and keep your lantern lit.",
         "Game saved.", "Are you sure you want to quit?", "Level up! Choose a new skill.",
         "The bridge has collapsed.", "Follow the river to the village.",
         "Your inventory is full.", "A stranger approaches.", "Thank you for playing."] * 2
with open(sys.argv[1], "w", newline="", encoding="utf-8") as out:
    rows = csv.writer(out)
    rows.writerow(["id", "text"])
    rows.writerows([f"prompt_{n:02d}", text] for n, text in enumerate(texts, start=1))
PY
start_app "$SANDBOX/app2.log"
xdotool mousemove 180 8 click 1; sleep 0.5; xdotool mousemove 200 29 click 1   # View > Script
sleep 0.8
xdotool mousemove 20 8 click 1; sleep 0.5; xdotool mousemove 120 117 click 1   # File > Import lines
sleep 1.2
xdotool type --delay 5 "$SANDBOX/lines.csv"
xdotool key Return
sleep 1.5
xdotool mousemove 1265 606 click 1   # Render all
sleep 5
shot script-rendering.png
sleep 40
xdotool mousemove 300 798 click 1   # line 8, then down to line 12
for _ in 1 2 3 4; do xdotool key Down; sleep 0.3; done
sleep 1
# Select "Take shelter before nightfall," in the waveform and retake it.
xdotool mousemove 680 380 mousedown 1 mousemove 760 380 mousemove 860 380 mouseup 1
sleep 0.5
xdotool key ctrl+shift+r
sleep 15
import -window root "$OUT/retake.png"; echo "wrote $OUT/retake.png"
xdotool mousemove 40 180 click 1     # variant 3
xdotool mousemove 618 297 click 1    # Keep
sleep 3
xdotool key Escape
sleep 0.5
xdotool mousemove 300 770 click 1
xdotool key ctrl+shift+e             # Export all lines
sleep 1.5
xdotool mousemove 610 228 click 1; sleep 0.6; xdotool mousemove 456 273 click 1   # preset: Game 48k
sleep 0.5
xdotool mousemove 546 285 click 1; sleep 0.6; xdotool mousemove 485 308 click 1   # format: FLAC
sleep 0.5
xdotool mousemove 998 667 click 1    # Export
sleep 30
import -window root "$OUT/export-all.png"; echo "wrote $OUT/export-all.png"
xdotool key Escape
xdotool key ctrl+q
wait "$APP" 2>/dev/null || true
APP=""
