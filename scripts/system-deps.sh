#!/usr/bin/env sh
# System packages pai needs, installed with apt-get when missing and we may (root, or sudo without a
# password); otherwise it says what to run. Never fails the build by itself.
#   system-deps.sh venv   what creating the virtual environment needs (python3-venv)
#   system-deps.sh test   what the test suite uses: espeak-ng (real offline voices), sox and
#                         PulseAudio (to measure them, and play them to a null sink) and tmux
#                         (the cockpit in a real terminal), postgresql (a real server for the
#                         PostgreSQL half of the suite)
set -u
python=${PYTHON:-python3}
missing=""
case "${1:-test}" in
    venv)
        "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$missing python3-venv"
        ;;
    test)
        command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
        command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
        command -v git >/dev/null 2>&1 || missing="$missing git"  # pai secrets' hook tests
        command -v sox >/dev/null 2>&1 || missing="$missing sox"
        command -v pulseaudio >/dev/null 2>&1 || missing="$missing pulseaudio"
        command -v parec >/dev/null 2>&1 || missing="$missing pulseaudio-utils"
        # A throwaway PostgreSQL server: the suite runs the history on it too (tests/postgres.py)
        ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
        ;;
esac
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: please install:$missing (no apt-get here)" >&2
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "system-deps: please run: sudo apt-get install$missing" >&2
    exit 0
fi
echo "system-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq $missing >/dev/null 2>&1 || {
    $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq $missing >/dev/null
} || echo "system-deps: could not install$missing" >&2
