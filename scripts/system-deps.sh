#!/usr/bin/env sh
# System packages the test suite uses: espeak-ng (real offline voices) and tmux (the cockpit in a
# real terminal). Installs them with apt-get when missing and we may (root, or sudo without a
# password); otherwise says what to run.
set -u
missing=""
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
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
    echo "system-deps: run 'sudo apt-get install$missing' for the voice and terminal tests" >&2
    exit 0
fi
echo "system-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq $missing >/dev/null 2>&1 || {
    $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq $missing >/dev/null
} || echo "system-deps: could not install$missing" >&2
