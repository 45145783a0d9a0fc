#!/bin/busybox sh
# shellcheck shell=dash
# /init of the nested test bed's L1 Linux (packed by run-suite.sh; POSIX sh, busybox).
# Loads kvm_amd and 9p, builds a writable view of the host's / (read-only 9p + tmpfs
# overlay), runs the command in a chroot there, and reports its status to the host:
# exactly, as "status N" on ttyS1 (a file on the host), and through isa-debug-exit.
export PATH=/bin

# The initramfs has no /dev/console node (building it needs no root), so the kernel
# started us without stdio: mount devtmpfs first, then attach to the console.
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
stty -onlcr 2>/dev/null # no \r\n on the host's stdout

# Leave QEMU through isa-debug-exit (port 0xf4): it exits with (byte << 1) | 1, so only
# 7 bits survive; the exact status went to ttyS1 already.
quit() {
    # stty sets attributes with TCSADRAIN: it returns once the UARTs have sent everything,
    # so no output is lost when QEMU exits.
    stty -onlcr </dev/console; stty -onlcr </dev/ttyS1
    c=$1; [ "$c" -gt 127 ] && c=127
    printf "\\$(printf %o "$c")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    poweroff -f # only if the port write failed; the host then sees no debug-exit status
}
fail() {
    echo "error: $*" >/dev/ttyS1
    quit 125
}

. /nested.env || fail "no /nested.env in the initramfs"

# Module order was resolved on the host with depmod (irqbypass, kvm, ccp, kvm-amd, virtio, 9p...).
while read -r m; do
    insmod "/modules/$m" || case $m in
        kvm-amd.ko) fail "insmod kvm-amd.ko failed (no SVM in the QEMU CPU model?)" ;;
        *) fail "insmod $m failed" ;;
    esac
done </modules/order
[ -c /dev/kvm ] || fail "no /dev/kvm in L1 after loading kvm_amd"

# The host's / arrives read-only. An overlay with a tmpfs upper layer makes all of it
# writable (writes stay in L1) while keeping host files such as /tmp/foo visible.
mkdir -p /lower /rw /host
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose host /lower ||
    fail "mounting the host's / over 9p failed"
mount -t tmpfs -o mode=755 rw /rw && mkdir /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /host ||
    fail "overlay over the 9p share failed"
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /host/dev/pts
mount -t tmpfs -o mode=1777 shm /host/dev/shm

read -r up _ </proc/uptime
echo "nested: L1 $(uname -r) with kvm_amd up after ${up}s (QEMU TCG, SVM); running: $NESTED_SHOWCMD"

# Run the command from the project directory with a clean environment and no stdin (the
# host gives QEMU none, so a read would hang). TERM comes from the host: "dumb" when its
# stdout is no terminal, which also keeps Criterion plain ASCII.
eval "set -- $NESTED_ARGS"
chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root TERM="$NESTED_TERM" FORKLAB_NESTED=1 \
    /bin/sh -c 'cd "$1" && shift && exec "$@"' nested "$NESTED_DIR" "$@" </dev/null
st=$?
echo "status $st" >/dev/ttyS1
quit $st
