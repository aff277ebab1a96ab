#!/bin/sh
# valgrind.sh VALGRIND STATUS CMD...: runs CMD under valgrind's memcheck;
# passes if valgrind found no error and no definite or indirect leak (its
# own exit status 99 otherwise) and CMD exited with STATUS.
vg=$1
want=$2
shift 2
"$vg" -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 "$@" >/dev/null
got=$?
if [ "$got" != "$want" ]; then
    echo "valgrind.sh: exit status $got, expected $want (99: valgrind found errors or leaks)" >&2
    exit 1
fi
echo "valgrind.sh: clean, exit status $got as expected"
