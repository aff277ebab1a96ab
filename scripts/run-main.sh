#!/bin/sh
# `make run`: the main job, from the build directory given as $1 (default:
# build). Spawns the bundled example program for ia32 (the seed's platform;
# examples/programs/hello.c, built from source by the build) on a simulated
# seL4 with the `vspace` command and prints the walk and the audit; then
# spawns it again loading it the way libsel4utils does, to show the audit
# catching the seed's bug. Exits 0 only if the first audit is clean and the
# second one fails (vspace exits 1 for discrepancies).
set -u
build=${1:-build}
vspace="$build/tools/vspace/vspace"
hello="$build/examples/programs/hello-ia32"
for f in "$vspace" "$hello"; do
    if [ ! -x "$f" ]; then
        echo "run-main.sh: $f not found; build first (make build)" >&2
        exit 2
    fi
done

banner() {
    printf '\n==== %s\n\n' "$*"
}

banner "vspace spawn --env HOME=/home/seL4 --svg $build/hello-ia32.svg $hello hello world"
"$vspace" spawn --env HOME=/home/seL4 --svg "$build/hello-ia32.svg" "$hello" hello world
clean=$?

banner "vspace spawn --free-elf-reservations --svg $build/hello-ia32-legacy.svg $hello hello world   (the legacy loader: expect the audit to fail)"
"$vspace" spawn --free-elf-reservations --svg "$build/hello-ia32-legacy.svg" "$hello" hello world
legacy=$?

banner "exit statuses: $clean (clean audit: 0 expected), $legacy (legacy loader: 1 expected); pictures: $build/hello-ia32.svg, $build/hello-ia32-legacy.svg"
[ "$clean" = 0 ] && [ "$legacy" = 1 ]
