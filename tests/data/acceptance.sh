# Issue 8's acceptance script: busybox sh runs it natively and as pid 1 in the
# guest (tests/integration/busybox_test.c, busybox.acceptance), and stdout,
# stderr and the status must be the same. It runs from a directory that holds
# it and ./mapfile (build/guest/mapfile), and works in ./w; w/fill is a small
# file system (natively a 4 MiB tmpfs, in the guest all of memory). Nothing
# printed may depend on pids, times, the user or the host's own files.
umask 022
mkdir -p w/fill && cd w || exit 1
section() { echo "== $1"; }

section "files: create, write, read"
echo one > a; echo two >> a; printf 'three\n' >> a
cat a; wc -l < a
set -C; (echo clobber > a) 2>/dev/null || echo "noclobber: a kept"; set +C
: > empty; [ -s empty ] || echo "empty is empty"
stat -c '%n %s %a %F %h' a empty

section "files: directories, links, rename"
mkdir -p d/e/f; echo deep > d/e/f/g
ls d d/e; ls -a d/e/f
ln a hard; stat -c '%n %h' a hard
ln -s a soft; readlink soft; cat soft | head -n 1
ln -s nowhere dangling; cat dangling 2>/dev/null || echo "dangling: no target"
mv hard d/moved; ls d; cat d/moved | tail -n 1
mv d/e d/e2 && ls d && cat d/e2/f/g
rmdir d/e2 2>/dev/null || echo "rmdir of a full directory fails"
rm -r d/e2; rmdir d/e2 2>/dev/null || echo "gone already"
rm d/moved dangling; rmdir d; ls

section "files: truncate, seek, modes, cwd"
printf 0123456789 > n; truncate -s 4 n; cat n; echo
truncate -s 8 n; od -An -c n | tr -s ' '
dd if=/dev/zero of=n bs=1 count=2 seek=1 conv=notrunc 2>/dev/null; od -An -c n | tr -s ' '
chmod 640 n; stat -c '%a' n; chmod u+x,g-r n; stat -c '%a' n
[ -x n ] && echo "n executable"
(umask 077; : > private; stat -c '%a' private)
mkdir sub; cd sub; pwd | sed 's,.*/,,'; cd ..; cd -P .. && cd w
test -d sub -a ! -d a && echo "test -d"
find . -name 'n*' | sort
rm -r sub private n

section "files: many entries, big files, copies"
for i in $(seq 1 60); do : > "entry$i"; done
ls | grep -c '^entry'; ls | grep '^entry' | sort -t y -k 2 -n | tail -n 2
rm entry*; ls | grep -c '^entry'
seq 1 20000 > big; wc -c < big; tail -n 1 big; sed -n '12345p' big
sort -rn big | head -n 2 | tr '\n' ' '; echo
md5sum < big | cut -c1-32 > sum1; cat big big | tail -c +108894 | md5sum | cut -c1-32 > sum2
cmp sum1 sum2 && echo "checksums agree"
echo x > r1; echo y > r2; mv r1 r2; cat r2; [ -e r1 ] || echo "r1 renamed over r2"
mkdir -p t/u; echo deep > t/u/v; cp -r t t2; diff -r t t2 && echo "copies agree"
rm -r t t2 r2 big sum1 sum2

section "files: descriptors and appends"
exec 7>>log; echo first >&7; echo second >> log; echo third >&7; exec 7>&-; cat log
: > log2
(for i in 1 2 3; do echo "w$i" >> log2; done) & (for i in 1 2 3; do echo "v$i" >> log2; done) & wait
sort log2 | tr '\n' ' '; echo
rm log log2; ls -d . .. | wc -l
cd nosuch 2>/dev/null || echo "cd to a missing directory fails"
[ "$(cd / && pwd)" = / ] && echo "cd / and back"
touch -c nothere; [ -e nothere ] || echo "touch -c creates nothing"

section "files: mmap of a file"
printf 'abcdefgh' > m
../mapfile m
od -An -c m | tr -s ' '
rm m

section "devices"
cat /dev/null; echo "null read: $(wc -c < /dev/null) bytes"
echo discarded > /dev/null && echo "null write: ok"
head -c 8 /dev/zero | od -An -tx1 | tr -s ' '
head -c 32 /dev/urandom | wc -c
[ "$(head -c 16 /dev/urandom | od -An -tx1)" != "$(head -c 16 /dev/urandom | od -An -tx1)" ] &&
	echo "urandom differs between reads"
echo full > /dev/full
echo "write to /dev/full: $?"
head -c 4 /dev/full | od -An -tx1 | tr -s ' '
for d in null zero full urandom tty; do stat -c "%n %F" /dev/$d; done

section "/dev/shm"
s=/dev/shm/forklab-acceptance.$$
echo in-shm > $s && cat $s
[ -d /dev/shm ] && stat -c '%F' /dev/shm
rm $s; [ -e $s ] || echo "shm file removed"

section "/proc"
readlink /proc/self/exe | sed 's,.*/,,'
cat /proc/self/cmdline | tr '\0' ' '; echo
cut -d' ' -f2,3 /proc/self/stat
grep '^Name' /proc/self/status
grep -c '\[stack\]' /proc/self/maps
ls /proc/self/fd | sort -n | head -n 3
[ "$(readlink /proc/$$/exe)" = "$(readlink /proc/self/exe)" ] && echo "shell's exe is busybox too"
sleep 2 & p=$!
[ -d /proc/$p ] && echo "background job in /proc"
[ "$(cut -d' ' -f4 /proc/$p/stat)" = $$ ] && echo "its parent is the shell"
{ kill $p; wait $p; echo "killed: $?"; } 2>/dev/null
grep -c '^MemTotal:' /proc/meminfo
grep -c '^cpu ' /proc/stat
wc -w < /proc/uptime
[ "$(cat /proc/sys/kernel/pid_max)" -ge 32768 ] && echo "pid_max"
grep -q '^processor' /proc/cpuinfo && grep -q '^flags' /proc/cpuinfo && echo cpuinfo
[ -e /proc/self/fd/0 ] && echo "fd 0 listed"

section "FIFOs, sync"
mkfifo fifo; stat -c '%n %F' fifo
(echo through the fifo > fifo) & cat fifo; wait
{ sleep 0.1; echo late > fifo; } & read l < fifo; echo "the reader waited: $l"; wait
exec 6<>fifo; echo rw > fifo; read x <&6; exec 6<&-; echo "read-write end: $x"
seq 1 3000 > fifo & wc -l < fifo; wait
rm fifo
mknod p2 p && stat -c '%F' p2; rm p2
dd if=/dev/zero of=s bs=1k count=4 conv=fsync 2>/dev/null && echo fsynced; sync && echo synced
rm s

section "ENOSPC"
echo keep > fill/keep
dd if=/dev/zero of=fill/big bs=4096 count=10000000 2>&1 | grep -o 'No space left on device'
rm fill/big
cat fill/keep
dd if=/dev/zero of=fill/again bs=4096 count=16 2>/dev/null && echo "written again"
rm fill/again fill/keep

section "pipelines"
echo 'e d c b a' | tr ' ' '\n' | sort | head -n 4 | sort -r | tr -d '\n'; echo
seq 1 100 | grep 7 | sed 's/7/seven/' | sort -r | head -n 3 | tr '\n' ' '; echo
printf '%s\n' b a c | sort | uniq | wc -l
false | true | false; echo "pipeline status: $?"
yes | head -n 3 | tr y Y | cat | cat

section "command substitution"
x=$(echo hi | tr a-z A-Z); y=`echo $x$x`; echo "$x $y $(echo $(echo nested))"
n=$(seq 1 10 | wc -l); echo "count $((n * 2))"
echo "lines: $(printf 'a\nb\n\n\n')|"
echo "status in subst: $(false; echo $?)"

section "subshells"
(echo in; exit 3); echo "status $?"
x=1; (x=2; echo "inner $x"); echo "outer $x"
echo $( (echo a; echo b) | wc -l)
(cd /; pwd); pwd | sed 's,.*/,,'
( trap 'echo subshell exit' EXIT; echo body )
{ echo group; echo more; } | wc -l

section "here-documents"
cat <<EOF
line $((1 + 2)) $x
EOF
cat <<'EOF'
$HOME is not expanded
EOF
wc -c <<EOF
12345
EOF
cat <<-EOF
	tabs stripped
	EOF
while read a b; do echo "$b-$a"; done <<EOF
1 one
2 two
EOF

section "redirections"
echo one > f; echo two >> f; cat < f; wc -l < f
cat f nosuch 2>err >out; echo "cat status $?"; cat out; cat err | sed 's,^cat: ,,'
rm f out err; cat f 2>&1; echo "status $?"
exec 4>fd4; echo via4 >&4; exec 4>&-; cat fd4
exec 5<fd4; read line <&5; exec 5<&-; echo "read back: $line"
{ echo to-err >&2; } 2>&1 | tr a-z A-Z
echo both > both 2>&1; cat both; rm both fd4
cat <<EOF >heredoc-file
into a file
EOF
cat heredoc-file; rm heredoc-file

section "background jobs"
sleep 0.1 & wait $!; echo "wait: $?"
(exit 7) & wait $!; echo "wait for (exit 7): $?"
{ sleep 5 & kill %1; wait %1; echo "kill %1: $?"; } 2>/dev/null
sleep 0.2 & sleep 0.1 & wait; echo "all waited"
true & p=$!; wait $p; wait $p 2>/dev/null; echo "second wait: $?"

section "traps"
trap 'echo usr1' USR1; kill -USR1 $$; echo "after usr1"
trap 'echo int' INT; kill -INT $$; echo "after int"
trap - USR1 INT
trap 'echo chld' CHLD; true & wait; trap - CHLD
(trap 'echo sub usr1; exit 4' USR1; kill -USR1 $(sh -c 'echo $PPID'); echo unreached); echo "sub: $?"
sh -c 'kill -TERM $$; echo unreached'; echo "TERM: $?"
sh -c 'trap "" INT; kill -INT $$; echo ignored INT'
trap 'echo exit trap' EXIT

section "exec"
exec 3>&1; echo to3 >&3; exec 3>&-
sh -c 'exec echo replaced; echo not reached'
(exec sh -c 'echo in exec sh; exit 5'); echo "exec status $?"
cd ..
echo end
exec sh -c 'echo last word; exit 3'
