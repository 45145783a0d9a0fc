#!/usr/bin/env bash
# Regenerates the README's benchmark table and docs/bench.svg from one run of
# `forklab bench --icount` in the nested bed (every operation, 0 MiB to 1 GiB,
# both fork strategies): the table replaces the lines between the markers
# "<!-- bench table -->" and "<!-- end of bench table -->" in README.md.
# Usage: tools/bench/update-readme.sh [EXTRA forklab bench OPTIONS]   (about two minutes)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
table=$(mktemp)
trap 'rm -f "$table" README.md.new' EXIT
build/forklab bench --icount --mem 1536M --plot docs/bench.svg "$@" >"$table"
grep -q '^<!-- bench table -->$' README.md && grep -q '^<!-- end of bench table -->$' README.md ||
    { echo "update-readme: README.md lacks the bench table markers" >&2; exit 1; }
awk -v table="$table" '
    /^<!-- end of bench table -->$/ { skip = 0 }
    !skip { print }
    /^<!-- bench table -->$/ {
        print "```"; while ((getline line < table) > 0) print line; print "```"; skip = 1
    }' README.md >README.md.new
mv README.md.new README.md
echo "update-readme: README.md's table and docs/bench.svg regenerated ($(git rev-parse --short HEAD))"
