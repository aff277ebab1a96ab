#!/bin/sh
# tools/vspace/sha256.c against coreutils' sha256sum, on files of every
# length around the padding boundaries and a few real binaries.
set -eu
tool=$1
dir=$2
mkdir -p "$dir"
for n in 0 1 3 55 56 57 63 64 65 119 120 127 128 129 1000 4096 100000; do
    head -c "$n" /dev/urandom >"$dir/r$n"
done
files="$dir/r* $tool /bin/sh"
# shellcheck disable=SC2086
"$tool" $files >"$dir/ours"
# shellcheck disable=SC2086
sha256sum $files >"$dir/theirs"
diff "$dir/ours" "$dir/theirs"
echo "sha256: $(wc -l <"$dir/ours") files agree with sha256sum"
