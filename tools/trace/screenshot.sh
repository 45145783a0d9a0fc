#!/usr/bin/env bash
# The README's pictures of a trace: fork-storm's 1000 forks under `forklab run --trace`,
# drawn by tools/trace/view.html in headless Chromium (Debian's chromium package; not in
# `make deps`), with no network. Without a usable /dev/kvm the run happens in the nested
# bed, whose only way out is its console: the trace comes back gzip'ed and base64'ed.
#
# Usage: tools/trace/screenshot.sh [OUTDIR [TRACE]]   (default docs/; TRACE: a trace of
# fork-storm made before, instead of a new run)
# Writes OUTDIR/trace-fork-storm.png (every fork) and OUTDIR/trace-fork-storm-zoom.png
# (the first three, up close).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
OUT=$(cd "${1:-$REPO/docs}" && pwd -P)
cd "$REPO"
command -v chromium >/dev/null || { echo "screenshot: chromium missing (apt-get install chromium)" >&2; exit 2; }
[ -x build/forklab ] || { echo "screenshot: build/forklab missing (make)" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
TRACE=$TMP/fork-storm.json
if [ -n "${2:-}" ]; then
    cp "$2" "$TRACE"
elif [ -w /dev/kvm ]; then
    build/forklab run --trace "$TRACE" fork-storm
else
    echo "screenshot: no /dev/kvm here: running fork-storm in the nested bed" >&2
    # shellcheck disable=SC2016 # expanded by the bed's shell
    tools/nested/run-suite.sh sh -c 'build/forklab run --trace /tmp/t.json fork-storm >&2 &&
        echo @@TRACE && gzip -c /tmp/t.json | base64 && echo @@END' >"$TMP/bed.out"
    awk '/^@@END/ { f = 0 } f { print } /^@@TRACE/ { f = 1 }' "$TMP/bed.out" | tr -d '\r' |
        base64 -d | gunzip >"$TRACE"
fi
echo "screenshot: trace of fork-storm: $(wc -c <"$TRACE") bytes" >&2

# Root runs Chromium only without its sandbox. XMLHttpRequest may read the trace's
# file:// URL only with --allow-file-access-from-files; the virtual time budget lets the
# page load and draw before the shot.
sandbox=()
[ "$(id -u)" != 0 ] || sandbox=(--no-sandbox)
shot() { # PNG HEIGHT QUERY
    chromium --headless "${sandbox[@]}" --disable-gpu --hide-scrollbars \
        --allow-file-access-from-files --virtual-time-budget=30000 --window-size="1600,$2" \
        --screenshot="$1" "file://$REPO/tools/trace/view.html?trace=file://$TRACE$3" 2>/dev/null
    [ -s "$1" ] || { echo "screenshot: chromium wrote no $1" >&2; exit 1; }
    echo "screenshot: $1" >&2
}
shot "$OUT/trace-fork-storm.png" 1000 ""
shot "$OUT/trace-fork-storm-zoom.png" 600 "&forks=3"
