#!/bin/sh
# Installs what the build and the tests need beyond gcc, make and cmake, on
# Debian 12, only when something is missing. Called by `make run`/`make test`.
# Each line: a command (or file) to probe, then the package providing it.
set -eu
missing=""
need() { # need PROBE PACKAGE: PROBE is a command name or an absolute path
    case "$1" in
    /*) [ -e "$1" ] || missing="$missing $2" ;;
    *) command -v "$1" >/dev/null 2>&1 || missing="$missing $2" ;;
    esac
}
need clang clang
need ld.lld lld
need readelf binutils
need eu-readelf elfutils
need python3 python3
need /usr/lib/python3/dist-packages/elftools python3-pyelftools
need /usr/lib/python3/dist-packages/jsonschema python3-jsonschema
need rsvg-convert librsvg2-bin
need /bin/busybox busybox-static
need i686-linux-gnu-gcc gcc-i686-linux-gnu
need arm-linux-gnueabihf-gcc gcc-arm-linux-gnueabihf
need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
need riscv64-linux-gnu-gcc gcc-riscv64-linux-gnu
need valgrind valgrind
# Wanted, not needed: without musl-gcc the vspace command is linked against
# glibc (tools/vspace/CMakeLists.txt) and `vspace exec` is slower.
if [ "$(id -u)" = 0 ]; then
    need musl-gcc musl-tools
elif ! command -v musl-gcc >/dev/null 2>&1; then
    echo "deps.sh: musl-tools not installed (as root: apt-get install musl-tools); vspace stays on glibc" >&2
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing; run as root or install them: apt-get install$missing" >&2
    exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing
