#!/usr/bin/env bash
# Boot benchmark: runs `forklab run -v PROGRAM` N times (default 20, hello) and
# prints min and median of the wall time and of each phase forklab -v reports:
# reading the inputs (programs, kernel), VM creation to the first guest
# instruction, boot to init's first
# instruction, the program's run, and exit. Usage: tools/boot-bench.sh [N [PROGRAM]]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20} prog=${2:-hello}
for _ in $(seq "$n"); do
    start=$(date +%s%N)
    line=$(build/forklab run -v "$prog" 2>&1 >/dev/null | grep 'create->first guest instruction')
    end=$(date +%s%N)
    # forklab: create->first guest instruction A ms (VM B ms), boot->init's first instruction C ms, run D ms, exit E ms
    # its numbers in order: inputs, create, boot, run, exit
    echo "$line" | grep -o '[0-9.]* ms' | awk -v wall=$(( (end - start) / 1000 )) \
        '{ v[NR] = $1 } END { print wall / 1000, v[1], v[2], v[3], v[4], v[5] }'
done | awk -v n="$n" -v prog="$prog" '
    { for (c = 1; c <= 6; c++) col[c, NR] = $c }
    END {
        split("wall (forklab process),inputs (programs + kernel ELF),create->first guest instruction,boot->init first instruction,run,exit", name, ",")
        printf "%d runs of forklab run %s (ms)\n%-36s %9s %9s\n", n, prog, "phase", "min", "median"
        for (c = 1; c <= 6; c++) {
            # insertion sort: mawk has no asort
            for (i = 1; i <= NR; i++) {
                x = col[c, i]; j = i - 1
                while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- }
                a[j + 1] = x
            }
            printf "%-36s %9.3f %9.3f\n", name[c], a[1], a[int((NR + 1) / 2)]
        }
    }'
