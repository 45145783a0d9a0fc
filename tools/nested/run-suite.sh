#!/usr/bin/env bash
# Nested test bed: run CMD (default build/tests/integration) on hardware-faithful KVM, i.e.
# inside QEMU TCG emulating AMD SVM, where a Debian L1 kernel loads kvm_amd. Our dev and CI
# hosts' own /dev/kvm is PVM, which behaves differently (platform notes, sections 2 and 3).
# L1 sees the host's / read-only over virtio-9p and runs CMD chrooted there, from the repo
# root, so host binaries run unchanged. CMD's output goes to stdout; we exit with its status.
#
# Usage: tools/nested/run-suite.sh [CMD [ARGS...]]    (exit 125: the bed itself failed)
# Env: NESTED_TIMEOUT (s, 1800; waiting for another bed is not counted), NESTED_CPU (max),
#      NESTED_MEM (MiB, 2048), NESTED_SMP (1), NESTED_BED_LOCK (/tmp/forklab-nested-bed.lock),
#      NESTED_APPEND (extra L1 kernel args, e.g. loglevel=7), NESTED_ICOUNT=1 (-icount
#      shift=0, -smp 1: guest TSC = instructions executed, for deterministic costs; ~2.5x
#      slower).
# Cache: build/nested/ (L1 kernel, modules, base initramfs); the first run takes ~10 s more.
# shellcheck disable=SC2054 # commas in arrays below are QEMU option syntax
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin # depmod, modprobe for non-root users

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd "$HERE/../.." && pwd -P)
OUT=$REPO/build/nested
TIMEOUT=${NESTED_TIMEOUT:-1800}
BED_FAIL=125 # our exit status when the bed itself, not CMD, failed

die() { echo "run-suite: $*" >&2; exit "$BED_FAIL"; }

# bzImage holds the kernel as one compressed ELF after a setup stub. Like Linux's
# scripts/extract-vmlinux: try each compressor at each offset where its magic occurs and
# keep the first output that is an ELF file.
extract_vmlinux() { # BZIMAGE OUT
    local pair tool magic off
    for pair in 'xz -dc|\xfd7zXZ\x00' 'gzip -dc|\x1f\x8b\x08' 'zstd -dcq|\x28\xb5\x2f\xfd' \
                'lz4 -dc|\x02\x21\x4c\x18' 'bzip2 -dc|BZh' 'lzma -dc|\x5d\x00\x00\x00'; do
        tool=${pair%%|*} magic=${pair#*|}
        command -v "${tool%% *}" >/dev/null || continue
        for off in $(LC_ALL=C grep -obUaP "$magic" "$1" | cut -d: -f1); do
            # The stream is followed by other data, so the tool's status means nothing.
            tail -c +$((off + 1)) "$1" | $tool >"$2" 2>/dev/null || true
            [ "$(head -c 4 "$2")" = $'\x7fELF' ] && return 0
        done
    done
    return 1
}

# Kernel, modules and base initramfs, cached under build/nested/ and rebuilt only when the
# kernel package that linux-image-amd64 points to changes, or init.sh / this script do.
prepare() {
    local pkg='' ver k tmp m
    # apt-cache costs ~0.8 s: ask it only when the apt lists changed since we last did.
    if [ ! -e "$OUT/kernel.pkg" ] || [ /var/lib/apt/lists -nt "$OUT/kernel.pkg" ]; then
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
              sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1) || true
    fi
    if [ -z "$pkg" ]; then # lists unchanged, or none (a cleaned CI image): reuse our kernel
        pkg=$(cat "$OUT/kernel.pkg" 2>/dev/null) || die "apt-cache knows no linux-image-*-amd64 (run apt-get update)"
    fi
    ver=${pkg#linux-image-}
    k=$OUT/kernel/$pkg
    if [ ! -e "$k/done" ]; then
        echo "run-suite: preparing L1 kernel $pkg (once; cached in build/nested/)" >&2
        rm -rf "$k" "$OUT/kernel.tmp"; mkdir -p "$OUT/kernel.tmp" "$k/modules"
        tmp=$OUT/kernel.tmp
        (cd "$tmp" && apt-get download -q=2 "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
        ls "$tmp"/*.deb >/dev/null 2>&1 || die "apt-get download $pkg failed (stale apt lists? run apt-get update)"
        dpkg-deb -x "$tmp"/*.deb "$tmp/root"
        extract_vmlinux "$tmp/root/boot/vmlinuz-$ver" "$k/vmlinux" ||
            die "no compressed ELF kernel found in vmlinuz-$ver"
        # Debian ships no modules.dep: build one, then let modprobe list the load order.
        depmod -b "$tmp/root" "$ver"
        for m in kvm_amd virtio_pci 9pnet_virtio 9p overlay; do
            modprobe -d "$tmp/root" -S "$ver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
        done | awk '!seen[$0]++' | while read -r m; do
            case $m in # .ko here, but future kernels may compress them
                *.ko.xz)  xz -dc "$m" >"$k/modules/$(basename "$m" .xz)" ;;
                *.ko.zst) zstd -dcq "$m" >"$k/modules/$(basename "$m" .zst)" ;;
                *.ko)     cp "$m" "$k/modules/" ;;
                *) die "unexpected module file $m" ;;
            esac
            basename "${m%.xz}" .zst >>"$k/modules/order"
        done
        rm -rf "$tmp"
        touch "$k/done"
    fi
    echo "$pkg" >"$OUT/kernel.pkg"
    KERNEL=$k/vmlinux
    BASE=$OUT/base.cpio.gz
    if [ ! -e "$BASE" ] || [ "$k/done" -nt "$BASE" ] || [ "$HERE/init.sh" -nt "$BASE" ] ||
       [ "$HERE/run-suite.sh" -nt "$BASE" ] || [ "$(cat "$BASE.pkg" 2>/dev/null)" != "$pkg" ]; then
        tmp=$OUT/initramfs.tmp
        rm -rf "$tmp"; mkdir -p "$tmp"/{bin,dev,proc,sys}
        cp /bin/busybox "$tmp/bin/busybox"
        # Symlink every applet, but never "busybox" itself: that loops (ELOOP, /init fails).
        for m in $("$tmp/bin/busybox" --list); do
            [ "$m" = busybox ] || ln -sf busybox "$tmp/bin/$m"
        done
        cp -r "$k/modules" "$tmp/modules"
        install -m 755 "$HERE/init.sh" "$tmp/init"
        (cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$BASE.new"
        mv "$BASE.new" "$BASE"; echo "$pkg" >"$BASE.pkg"
        rm -rf "$tmp"
    fi
}

# Quote each argument for POSIX sh (busybox ash in L1 evals it).
shquote() { local a; for a; do printf "'%s' " "${a//\'/\'\\\'\'}"; done; }

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make deps)"
[ -x /bin/busybox ] || die "/bin/busybox missing (make deps: busybox-static)"
mkdir -p "$OUT"
exec 9>"$OUT/lock" # one prepare at a time
flock 9
prepare
exec 9>&-

[ $# -gt 0 ] || set -- build/tests/integration
RUN=$(mktemp -d "$OUT/run.XXXXXX")
trap 'rm -rf "$RUN"' EXIT

# Per-run settings travel as a second, tiny cpio appended to the cached one.
mkdir "$RUN/root"
{
    echo "NESTED_DIR=$(shquote "$REPO")"
    echo "NESTED_ARGS=$(shquote "$(shquote "$@")")"
    echo "NESTED_SHOWCMD=$(shquote "$*")"
    if [ -t 1 ]; then echo "NESTED_TERM=$(shquote "${TERM:-linux}")"; else echo "NESTED_TERM=dumb"; fi
} >"$RUN/root/nested.env"
(cd "$RUN/root" && echo nested.env | cpio -o -H newc -R 0:0 --quiet | gzip -1) |
    cat "$BASE" - >"$RUN/initrd"
: >"$RUN/status"

# stdin is /dev/null so QEMU leaves the terminal alone; --foreground keeps QEMU in our
# process group, so Ctrl-C reaches it. -cpu max: every feature TCG has, SVM with NPT
# included, and none it lacks (EPYC works too but warns about 9 missing features).
# One L1 CPU: with two, L1 froze within about 20 runs of `forklab run -v hello`
# (60 of 60 passed with one), a QEMU TCG nested-SVM problem, not forklab's.
accel=(-accel tcg,thread=multi -smp "${NESTED_SMP:-1}")
# icount needs single-threaded TCG; with it, L1 hangs bringing up a second CPU.
[ "${NESTED_ICOUNT:-0}" = 0 ] || accel=(-accel tcg,thread=single -icount shift=0 -smp "${NESTED_SMP:-1}")
# One bed per machine: two at once froze QEMU twice in ~25 runs. The lock is machine-wide
# (not under build/), so worktrees and parallel sessions queue behind each other.
exec 8>"${NESTED_BED_LOCK:-/tmp/forklab-nested-bed.lock}"
flock -n 8 || { echo "run-suite: waiting for the other nested bed on this machine" >&2; flock 8; }
set +e
timeout --foreground -k 10 "$TIMEOUT" qemu-system-x86_64 \
    -machine pc "${accel[@]}" -cpu "${NESTED_CPU:-max}" \
    -m "${NESTED_MEM:-2048}" \
    -display none -nodefaults -no-user-config -no-reboot \
    -serial stdio -serial "file:$RUN/status" \
    -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    -kernel "$KERNEL" -initrd "$RUN/initrd" \
    -append "console=ttyS0 loglevel=1 panic=-1 ${NESTED_APPEND:-}" </dev/null
rc=$?
set -e

# L1 wrote "status N" (CMD's exact status) or "error: ..." to ttyS1, then left through
# isa-debug-exit, which makes QEMU exit with (N << 1) | 1, N capped at 127.
report=$(tr -d '\r' <"$RUN/status")
case $report in
    "error: "*) die "nested bed failed in L1: ${report#error: }" ;;
esac
case $rc in 124 | 137) die "timed out after ${TIMEOUT}s (NESTED_TIMEOUT)" ;; esac
st=${report#status }
case $st in
    ''|*[!0-9]*) die "L1 reported no command status (QEMU exit status $rc; kernel panic or QEMU failure?)" ;;
esac
cap=$((st > 127 ? 127 : st))
[ "$rc" -eq $(((cap << 1) | 1)) ] ||
    die "QEMU exit status $rc does not match the status $st that L1 reported"
exit "$st"
