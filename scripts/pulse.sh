# A virtual sound device for tests: PulseAudio with a float32 null sink (sourced, not run).
#   source scripts/pulse.sh && pulse_start   ... tests ...   pulse_stop
# Exports PULSE_SERVER, PULSE_RUNTIME_PATH and VB_PULSE_SINK; the sink's monitor is
# "$VB_PULSE_SINK.monitor". Details and measurements: docs/testing.md.

pulse_start() {
    command -v pulseaudio >/dev/null || { echo "pulse.sh: pulseaudio is not installed" >&2; return 1; }
    export PULSE_RUNTIME_PATH
    PULSE_RUNTIME_PATH="$(mktemp -d -t vb-pulse.XXXXXX)"
    export PULSE_STATE_PATH="$PULSE_RUNTIME_PATH/state"
    export PULSE_SERVER="unix:$PULSE_RUNTIME_PATH/native"
    export VB_PULSE_SINK=vsink
    pulseaudio --daemonize=yes --exit-idle-time=-1 -n --use-pid-file=yes \
        --log-target="file:$PULSE_RUNTIME_PATH/pulse.log" \
        --load="module-native-protocol-unix auth-anonymous=1 socket=$PULSE_RUNTIME_PATH/native" \
        --load="module-null-sink sink_name=$VB_PULSE_SINK rate=48000 channels=2 format=float32le" \
        || { echo "pulse.sh: pulseaudio did not start; see $PULSE_RUNTIME_PATH/pulse.log" >&2; return 1; }
    local i
    for i in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
    pactl set-default-sink "$VB_PULSE_SINK" && pactl set-default-source "$VB_PULSE_SINK.monitor"
    # An idle null sink runs with 2 s blocks, so a new stream stalls; a 10 ms keep-alive
    # stream keeps its latency low (docs/testing.md, "The idle sink").
    pacat -p -d "$VB_PULSE_SINK" --raw --latency-msec 10 /dev/zero &
    export VB_PULSE_KEEPALIVE=$!
    local l
    for i in $(seq 60); do
        l=$(pactl list sinks | awk '/Latency:/{print $2; exit}')
        [ "${l:-999999}" -lt 50000 ] && break
        sleep 0.05
    done
    echo "pulse.sh: null sink $VB_PULSE_SINK ready (latency ${l:-?} us)" >&2
}

pulse_stop() {
    [ -n "${VB_PULSE_KEEPALIVE:-}" ] && kill "$VB_PULSE_KEEPALIVE" 2>/dev/null
    [ -n "${PULSE_SERVER:-}" ] && pulseaudio --kill 2>/dev/null
    [ -n "${PULSE_RUNTIME_PATH:-}" ] && rm -rf "$PULSE_RUNTIME_PATH"
    unset VB_PULSE_KEEPALIVE PULSE_SERVER PULSE_RUNTIME_PATH PULSE_STATE_PATH
    return 0
}
