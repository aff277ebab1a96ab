#!/bin/bash
# Builds examples/sel4 (each root task) for one architecture with seL4's
# own tooling, runs each image in QEMU, and compares the root task's serial
# transcript with the transcript of the same source on the simulator.
#   scripts/sel4-qemu.sh [--check] SEL4_SRC ARCH HOST_BUILD_DIR
# ARCH: ia32, x86_64, aarch64, riscv64. Lines the kernel prints itself
# (starting with "<<seL4(CPU") are ignored; so are spawnroot's "child| "
# lines (the child runs only on seL4), which are checked on their own: the
# arguments and environment the root task passed, a clean exit.
# SEL4_QEMU_TASKS picks root tasks (default: roottask vsroot spawnroot).
# Exits non-zero, saying what is missing, when the sources or a tool are
# not there.
set -u
check_only=0
if [ "${1:-}" = --check ]; then # only check sources and tools, build nothing
    check_only=1
    shift
fi
SEL4_SRC=${1:-}
ARCH=${2:-x86_64}
HOST_BUILD=${3:-build}
TIMEOUT=${SEL4_QEMU_TIMEOUT:-120}
# Run from `make sel4-qemu ARCH=...`, make hands ARCH=... to every make
# below (MAKEFLAGS, environment), and musllibc's build has its own ARCH
# (i386, not ia32): keep ours to ourselves.
unset MAKEFLAGS MFLAGS MAKELEVEL
export -n ARCH SEL4_SRC BUILD 2>/dev/null
here=$(cd "$(dirname "$0")/.." && pwd)

fail() {
    echo "sel4-qemu: $*" >&2
    exit 2
}

case "$ARCH" in
ia32) platform=(-DPLATFORM=ia32) prefix=i686-linux-gnu- qemu=qemu-system-i386 ;;
x86_64) platform=(-DPLATFORM=x86_64) prefix="" qemu=qemu-system-x86_64 ;;
aarch64) platform=(-DPLATFORM=qemu-arm-virt -DAARCH64=ON) prefix=aarch64-linux-gnu- qemu=qemu-system-aarch64 ;;
riscv64) platform=(-DPLATFORM=qemu-riscv-virt -DRISCV64=ON) prefix=riscv64-linux-gnu- qemu=qemu-system-riscv64 ;;
*) fail "ARCH=$ARCH: must be one of ia32 x86_64 aarch64 riscv64" ;;
esac

[ -n "$SEL4_SRC" ] || fail "SEL4_SRC is not set: give SEL4_SRC=DIR, a directory with kernel/ (seL4/seL4), \
projects/musllibc, projects/sel4runtime, projects/util_libs, tools/seL4 (seL4/seL4_tools), \
tools/pyfdt and tools/opensbi (see examples/sel4/README.md)"
SEL4_SRC=$(cd "$SEL4_SRC" 2>/dev/null && pwd) || fail "SEL4_SRC=$1 is not a directory"
for d in kernel projects/musllibc projects/sel4runtime projects/util_libs tools/seL4/cmake-tool; do
    [ -d "$SEL4_SRC/$d" ] || fail "missing $SEL4_SRC/$d (see examples/sel4/README.md)"
done
case "$ARCH" in aarch64 | riscv64)
    [ -d "$SEL4_SRC/tools/pyfdt/pyfdt" ] || fail "missing $SEL4_SRC/tools/pyfdt (superna9999/pyfdt, tag pyfdt-0.3)" ;;
esac
[ "$ARCH" = riscv64 ] && { [ -d "$SEL4_SRC/tools/opensbi" ] || fail "missing $SEL4_SRC/tools/opensbi (riscv/opensbi v0.9)"; }

# The kernel's generators need their Python modules in the first python3.
export PATH=/usr/bin:$PATH
export PYTHONPATH="$SEL4_SRC/tools/pyfdt${PYTHONPATH:+:$PYTHONPATH}"
command -v "$qemu" >/dev/null || fail "$qemu not found (Debian: qemu-system-x86 / qemu-system-arm / qemu-system-misc)"
command -v "${prefix}gcc" >/dev/null || fail "${prefix}gcc not found"
command -v ninja >/dev/null || fail "ninja not found (Debian: ninja-build)"
python3 -c 'import jinja2, ply, yaml, six, future, lxml, elftools, libfdt, libarchive' 2>/dev/null ||
    fail "python3 lacks a module the kernel build needs (Debian: python3-jinja2 python3-ply python3-yaml \
python3-six python3-future python3-lxml python3-pyelftools python3-libfdt python3-libarchive-c)"
command -v cpio >/dev/null || fail "cpio not found (Debian: cpio; packs spawnroot's child into the root task)"
case "$ARCH" in aarch64 | riscv64)
    command -v dtc >/dev/null || fail "dtc not found (Debian: device-tree-compiler)" ;;
esac

[ $check_only = 1 ] && exit 0

# spawnroot's child on seL4 (transcript $1): it printed each argument and
# environment string the root task's "argv:"/"envp:" lines name, in order,
# all its own checks passed, and the root task saw it exit with status 0.
spawn_child_ok() {
    local t=$1 ok=0 kind i item
    for kind in argv envp; do
        i=0
        while IFS= read -r item; do
            grep -aqxF "child| $kind[$i] = $item" "$t" || { echo "no child line \"child| $kind[$i] = $item\""; ok=1; }
            i=$((i + 1))
        done < <(grep -a "^   $kind:" "$t" | head -1 | sed -E 's/^   [a-z]+: //; s/^\[//; s/\]$//; s/\] \[/\n/g')
        [ "$i" -gt 0 ] || { echo "no \"$kind:\" line from the root task"; ok=1; }
    done
    grep -aq '^child| .* : FAIL$' "$t" && { grep -a '^child| .* : FAIL$' "$t"; ok=1; }
    grep -aqxF 'child| ended: exit(0), sent on its fault endpoint' "$t" || { echo "the child did not exit(0)"; ok=1; }
    return $ok
}

out="$here/build-sel4/$ARCH"
mkdir -p "$out"
status=0
for task in ${SEL4_QEMU_TASKS:-roottask vsroot spawnroot}; do
    host_exe="$HOST_BUILD/examples/$task/example_${task}_$ARCH"
    # spawnroot on the simulator spawns the very child ELF built for seL4.
    host_args=()
    [ "$task" = spawnroot ] && host_args=("$out/cmake/spawnchild")
    [ -x "$host_exe" ] || fail "$host_exe not built (make build)"
    echo "== $ARCH $task: build ($out/cmake)"
    if ! cmake -G Ninja -S "$here/examples/sel4" -B "$out/cmake" \
        -DCMAKE_TOOLCHAIN_FILE="$SEL4_SRC/kernel/gcc.cmake" -DCROSS_COMPILER_PREFIX="$prefix" \
        -DSEL4_SRC="$SEL4_SRC" "${platform[@]}" -DSIMULATION=ON -DROOTTASK=$task >"$out/$task.configure.log" 2>&1; then
        tail -30 "$out/$task.configure.log"
        fail "configure failed ($out/$task.configure.log)"
    fi
    if ! ninja -C "$out/cmake" >"$out/$task.build.log" 2>&1; then
        # ninja's FAILED: line and what follows it (a compiler error or a
        # generator's traceback); not musllibc's -Werror configure probes.
        grep -A25 -m3 "^FAILED: " "$out/$task.build.log" | head -80
        fail "build failed ($out/$task.build.log)"
    fi
    echo "== $ARCH $task: run in $qemu (timeout ${TIMEOUT}s)"
    log="$out/$task.serial.log"
    # Its own session, so the whole group (simulate, sh, QEMU) can be ended.
    (cd "$out/cmake" && exec setsid ./simulate) </dev/null >"$log" 2>"$out/$task.qemu.stderr" &
    pid=$!
    # The last line each root task prints.
    end_re='^([0-9]+ calls, [0-9]+ mismatches|(vs|spawn)root [a-z0-9_]+: [0-9]+ steps, [0-9]+ failures)$'
    for _ in $(seq 1 $((TIMEOUT * 2))); do
        tr -d '\r' <"$log" | grep -aqE "$end_re" && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.5
    done
    sleep 1
    kill -- -$pid 2>/dev/null || kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    # The root task's lines: from its first line to its last, without the
    # kernel's own debug lines, their colour codes and carriage returns.
    tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;]*m//g' | sed -nE "/^$task $ARCH: /,/$end_re/p" | grep -av '^<<seL4(CPU' >"$out/$task.qemu.txt"
    "$host_exe" "${host_args[@]}" >"$out/$task.sim.txt" 2>&1
    if [ "$task" = spawnroot ]; then
        child_ok=1
        if ! spawn_child_ok "$out/$task.qemu.txt"; then
            echo "sel4-qemu: $ARCH $task: FAIL: the child's lines on seL4 are wrong (above)"
            status=1 child_ok=0
        fi
        grep -av '^child| ' "$out/$task.sim.txt" >"$out/$task.sim.cmp"
        grep -av '^child| ' "$out/$task.qemu.txt" >"$out/$task.qemu.cmp"
        if [ -s "$out/$task.qemu.txt" ] && diff -u "$out/$task.sim.cmp" "$out/$task.qemu.cmp" && [ $child_ok = 1 ]; then
            echo "sel4-qemu: $ARCH $task: PASS ($(wc -l <"$out/$task.qemu.cmp") lines equal to the simulator's," \
                "$(grep -ac '^child| ' "$out/$task.qemu.txt") lines of the child's on seL4)"
        else
            echo "sel4-qemu: $ARCH $task: FAIL: transcript differs from the simulator's (above), or is empty ($log)"
            status=1
        fi
        continue
    fi
    if [ ! -s "$out/$task.qemu.txt" ]; then
        tail -20 "$log"
        echo "sel4-qemu: $ARCH $task: FAIL: no transcript on the serial console ($log)"
        status=1
    elif diff -u "$out/$task.sim.txt" "$out/$task.qemu.txt"; then
        echo "sel4-qemu: $ARCH $task: PASS ($(wc -l <"$out/$task.qemu.txt") lines equal to the simulator's)"
    else
        echo "sel4-qemu: $ARCH $task: FAIL: transcript differs from the simulator's (above)"
        status=1
    fi
done
exit $status
