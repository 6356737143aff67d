#!/usr/bin/env bash
# Drive the real window under Xvfb as a user would and take the screenshots in docs/:
#  - the look, light and dark, at 1024x640 and 1440x900: a take just generated and playing
#    (the spoken word lit, the level meter moving) with a few takes in the history;
#  - at 1440x900, light: a take playing, one line in five voices, a take starred, noted and
#    found again, a word tuned in the pronunciation lab, a markup error, a voice search,
#    the keyboard shortcut sheet;
#  - in a fresh app: a 40-line script imported and rendered, one sentence of line 12
#    retaken and a variant kept, every line exported;
#  - a first run with no key (the "Add your Cartesia key" card) and the settings dialog.
# Needs what ./scripts/test.sh installs (xvfb, xdotool, imagemagick, the sound server).
# Everything runs in a sandbox (its own HOME, XDG folders, sound server and display) that
# is removed at the end. Takes a few minutes.
#   ./scripts/screenshots.sh [OUT_DIR]      (default: docs/)
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
cd "$VB_ROOT"
OUT="${1:-$VB_ROOT/docs}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SANDBOX="$(mktemp -d -t voicebooth-shots.XXXXXX)"
export HOME="$SANDBOX/home" XDG_CACHE_HOME="$SANDBOX/cache" XDG_RUNTIME_DIR="$SANDBOX/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset QT_QPA_PLATFORM CARTESIA_API_KEY CARTESIA_BASE_URL QT_SCALE_FACTOR QT_SCREEN_SCALE_FACTORS
source "$VB_ROOT/scripts/pulse.sh"
pulse_start
# Xvfb picks a free display itself: a fixed number would collide with another run (or a
# test) on the same machine and put our windows on its screen.
Xvfb -displayfd 3 -screen 0 1440x900x24 -nolisten tcp 3>"$SANDBOX/display" >/dev/null 2>&1 &
XVFB=$!
APP=""
cleanup() {
    [ -n "$APP" ] && kill "$APP" 2>/dev/null
    kill "$XVFB" 2>/dev/null
    pulse_stop
    rm -rf "$SANDBOX"
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # so that Ctrl+C or a kill still cleans up
for _ in $(seq 100); do [ -s "$SANDBOX/display" ] && break; sleep 0.1; done
[ -s "$SANDBOX/display" ] || { echo "screenshots: Xvfb did not start" >&2; exit 1; }
export DISPLAY=":$(head -1 "$SANDBOX/display")"

# A fresh config and data folder; $1: a name, $2: the appearance (light or dark).
use_folders() {
    export XDG_CONFIG_HOME="$SANDBOX/config-$1" XDG_DATA_HOME="$SANDBOX/data-$1"
    mkdir -p "$XDG_CONFIG_HOME/voicebooth"
    local version
    version="$("$VB_ROOT/.venv/bin/python" -c 'from app.settings import VERSION; print(VERSION)')"
    printf '{"version": %s, "values": {"appearance": "%s"}}\n' "$version" "$2" \
        >"$XDG_CONFIG_HOME/voicebooth/settings.json"
}

# Start the window at the top left; $1: width, $2: height, $3: its log, then main.py's
# arguments. There is no window manager: the window has no frame and the screenshots
# crop to it.
W=1440 H=900
start_app() {
    W=$1 H=$2
    local log=$3
    shift 3
    "$VB_ROOT/.venv/bin/python" main.py "$@" >"$log" 2>&1 &
    APP=$!
    local wid=""
    for _ in $(seq 100); do
        wid="$(xdotool search --name '^Voicebooth$' 2>/dev/null | head -1)" && [ -n "$wid" ] && break
        sleep 0.2
    done
    [ -n "$wid" ] || { echo "screenshots: the window did not appear" >&2; cat "$log" >&2; exit 1; }
    # A busy machine may still be laying the window out: size it until it stays so.
    for _ in $(seq 20); do
        xdotool windowsize "$wid" "$W" "$H" windowmove "$wid" 0 0
        sleep 0.5
        xdotool getwindowgeometry "$wid" | grep -q "Geometry: ${W}x${H}" && break
    done
    sleep 6  # the engine's models load in the background
}
quit_app() {
    focus_window
    xdotool key ctrl+q
    # A Ctrl+Q that went nowhere (a dialog had the keyboard) must not hang the run.
    for _ in $(seq 100); do kill -0 "$APP" 2>/dev/null || break; sleep 0.2; done
    kill "$APP" 2>/dev/null || true
    wait "$APP" 2>/dev/null || true
    APP=""
}
shot() { import -window root -crop "${W}x${H}+0+0" +repage "$OUT/$1"; echo "wrote $OUT/$1"; }
# Without a window manager nothing gives the keyboard back to the window when a dialog
# closes: a click on the status bar (which does nothing) does.
focus_window() { xdotool mousemove 200 $((H - 10)) click 1; sleep 0.2; }
# Replace the editor's line; the editor is the tall field in the middle column.
type_line() {
    if [ "$W" -le 1024 ]; then xdotool mousemove 520 230 click 1; else xdotool mousemove 860 290 click 1; fi
    xdotool key ctrl+a
    xdotool type --delay 8 "$1"
}
# Whether the null sink is playing something now: the loudest sample of a quarter second
# of its monitor (our keep-alive stream plays zeros).
sounding() {
    local peak
    peak="$(timeout 0.25 parec -d "$VB_PULSE_SINK.monitor" --raw --format=s16le --channels=1 \
        --rate=8000 2>/dev/null | od -An -v -td2 \
        | awk '{for (i = 1; i <= NF; i++) { v = $i < 0 ? -$i : $i; if (v > m) m = v }} END { print m + 0 }')"
    [ "$peak" -gt 30 ]
}
# Wait until $1 quarter-seconds in a row are quiet (a line has pauses), or until
# something is heard: fixed waits caught takes before their audio on a busy machine.
wait_quiet() {
    local quiet=0
    for _ in $(seq 240); do
        if sounding; then quiet=0; else quiet=$((quiet + 1)); fi
        [ "$quiet" -ge "$1" ] && return 0
    done
    echo "screenshots: still playing after a minute; going on" >&2
}
wait_sound() {
    for _ in $(seq 240); do sounding && return 0; done
    echo "screenshots: nothing played for a minute; going on" >&2
}
# The history keeps one WAV per take, written when the take is complete.
takes_kept() { find "$XDG_DATA_HOME" -path '*/audio/*' -name '*.wav' 2>/dev/null | wc -l; }
# Wait (up to three minutes) until the history holds $1 takes.
wait_takes() {
    for _ in $(seq 900); do [ "$(takes_kept)" -ge "$1" ] && return 0; sleep 0.2; done
    echo "screenshots: fewer than $1 takes after three minutes; going on" >&2
}
# Generate the editor's line and wait until the take is complete and has played out.
generate_and_keep() {
    local before
    before="$(takes_kept)"
    wait_quiet 3
    xdotool key ctrl+Return
    for _ in $(seq 600); do [ "$(takes_kept)" -gt "$before" ] && break; sleep 0.2; done
    wait_quiet 8   # the take is kept when it is synthesized; it may still be playing
}
# A take just generated, caught while it plays: generated to its end, then played again
# with the transport's Play, so a busy machine (synthesis slower than real time) cannot
# show a playhead waiting for audio that has not arrived.
play_new_take() {
    type_line "$1"
    generate_and_keep
    if [ "$W" -le 1024 ]; then xdotool mousemove 333 485 click 1; else xdotool mousemove 600 702 click 1; fi
    wait_sound
    sleep 2.45   # "offline", a long word: it stays lit for a third of a second
}
PLAYING_LINE='Hello there! This take streams from the offline engine, <break time="300ms"/> and every word lights up as it is spoken.'

# The look: light and dark at both sizes. Two short takes first, so the history has some,
# then the line, caught while it plays.
for look in light dark; do
    for size in 1024x640 1440x900; do
        use_folders "look-$look-$size" "$look"
        start_app "${size%x*}" "${size#*x}" "$SANDBOX/look-$look-$size.log" --offline
        for line in 'Welcome back, commander.' 'Checkpoint reached. Game saved.'; do
            type_line "$line"
            generate_and_keep   # a new Generate would stop this take before its end
        done
        play_new_take "$PLAYING_LINE"
        shot "look-$look-${size%x*}.png"
        sleep 5
        quit_app
    done
done

use_folders main light
start_app 1440 900 "$SANDBOX/app.log" --offline
play_new_take "$PLAYING_LINE"
shot window-playing.png
sleep 5

# One line in several voices: the comparison window opens over the main one; tick four
# more voices and render.
type_line 'Cartesia makes voices that sound like people.'
xdotool key ctrl+shift+c
sleep 2
for y in 240 254 296 338; do xdotool mousemove 253 "$y" click 1; sleep 0.2; done
xdotool mousemove 559 622 click 1   # Render
sleep 12
shot compare-voices.png
xdotool key Escape
sleep 0.5

# Takes told apart: four stars and a note on the newest, then find it by its note.
xdotool mousemove 1391 142 click 1
sleep 0.3
xdotool mousemove 1293 775 click 1
xdotool type --delay 10 'warm, keep for the intro'
xdotool key Return
xdotool mousemove 1293 74 click 1
xdotool type --delay 20 'intro'
sleep 1
shot history.png
xdotool key ctrl+a BackSpace

# Tuning one word: select "Cartesia", open the pronunciation lab, add a sounds-like
# candidate beside the engine's IPA and render both in their sentence.
type_line 'Try Cartesia, the fastest voices.'
xdotool mousemove 644 180 click --repeat 2 1
xdotool key ctrl+shift+p
sleep 3
xdotool type --delay 15 'kar-TEE-zhuh'
xdotool key Return
sleep 0.5
xdotool mousemove 267 590 click 1   # Render
sleep 12
shot pronunciation-lab.png
xdotool key Escape
sleep 0.5

type_line 'Welcome to <brek time="1s"/> the studio. <speed ratio="2"/>Faster now.'
sleep 1
shot markup-error.png

xdotool key ctrl+k
xdotool type --delay 20 'english'
sleep 0.8
shot voice-picker.png
xdotool key ctrl+a BackSpace

focus_window
xdotool key ctrl+slash   # Help > Keyboard shortcuts
sleep 1.5
shot shortcuts.png
xdotool mousemove 941 692 click 1   # Close
sleep 0.5
quit_app

# Producing clips, in a fresh data folder: import 40 lines, render them all, retake one
# sentence of line 12, keep a variant, export every line as 48 kHz FLAC at -16 LUFS.
use_folders script light
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
start_app 1440 900 "$SANDBOX/app2.log" --offline
focus_window
xdotool key ctrl+shift+l   # View > Script
sleep 1
xdotool key ctrl+shift+i   # File > Import lines
sleep 1.5
xdotool type --delay 5 "$SANDBOX/lines.csv"
xdotool key Return
sleep 1.5
xdotool mousemove 1299 640 click 1   # Render all
wait_takes 7   # a few lines done, some rendering, the rest queued
shot script-rendering.png
wait_takes 40
sleep 1
xdotool mousemove 300 681 click 1    # line 1, then down to line 12
for _ in $(seq 11); do xdotool key Down; sleep 0.2; done
sleep 1.5
# Select "Take shelter before nightfall," in the waveform and retake it.
xdotool mousemove 772 363 mousedown 1 mousemove 850 363 mousemove 978 363 mouseup 1
sleep 0.5
xdotool key ctrl+shift+r
sleep 15
shot retake.png
xdotool mousemove 44 219 click 1     # variant 3
xdotool mousemove 627 290 click 1    # Keep
sleep 3
xdotool key Escape
sleep 0.5
xdotool mousemove 300 780 click 1
xdotool key ctrl+shift+e             # Export all lines
sleep 1.5
xdotool mousemove 632 246 click 1; sleep 0.6; xdotool mousemove 480 287 click 1   # preset: Game 48k
sleep 0.5
xdotool mousemove 567 312 click 1; sleep 0.6; xdotool mousemove 510 332 click 1   # format: FLAC
sleep 0.5
xdotool mousemove 941 706 click 1    # Export
for _ in $(seq 600); do
    [ "$(find "$HOME" -maxdepth 1 -name '*.flac' | wc -l)" -ge 40 ] && break
    sleep 0.2
done
sleep 1
shot export-all.png
xdotool key Escape
quit_app

# A first run: no key, no base URL, not --offline; the offline voices work and the card
# at the top of the picker says what a key adds. Then the settings dialog.
use_folders first-run light
start_app 1440 900 "$SANDBOX/app3.log"
shot first-run.png
for _ in $(seq 10); do
    focus_window
    xdotool key ctrl+comma
    sleep 1.5
    xdotool search --onlyvisible --name '^Settings$' >/dev/null 2>&1 && break
done
shot settings.png
xdotool key Escape
sleep 0.5
quit_app
