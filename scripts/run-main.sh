#!/bin/sh
# `make run`: runs the main job from the build directory given as $1
# (default: build). Until the vspace CLI exists, that is the demo: the core
# and its seL4 backend on a simulated ia32 seL4 (the seed's platform).
set -eu
build=${1:-build}
demo="$build/demo/vspace-demo"
if [ ! -x "$demo" ]; then
    echo "run-main.sh: $demo not found; build first (make build)" >&2
    exit 2
fi
exec "$demo"
