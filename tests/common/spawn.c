/* spawn_run: fork, stdio onto pipes, the caller's exec step, then one poll
 * loop that feeds stdin and drains stdout and stderr until both are at EOF
 * and the child has exited, or the deadline passes. */
#include "common/spawn.h"
#include "common/fl_assert.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double spawn_now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void kill_child(pid_t pid, bool group)
{
	if (group)
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL); /* also in case the group's setpgid failed */
}

struct spawn_result spawn_run(const struct spawn_opts *o)
{
	struct spawn_result r = { 0 };
	int in[2], out[2], err[2];
	TEST_ASSERT(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
		    pipe2(err, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
	FILE *f[2] = { open_memstream(&r.out, &r.out_len), open_memstream(&r.err, &r.err_len) };
	TEST_ASSERT(f[0] && f[1], "open_memstream: %s", strerror(errno));
	double t0 = spawn_now_s();
	pid_t pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if ((o->own_group && setpgid(0, 0) < 0) ||
		    dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(127);
		o->exec(o->arg);
		_exit(127);
	}
	if (o->own_group)
		setpgid(pid, pid); /* as the child does: whichever runs first */
	close(in[0]);
	close(out[1]);
	close(err[1]);
	int pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		int e = errno;
		kill_child(pid, o->own_group);
		TEST_FAIL("pidfd_open: %s", strerror(e));
	}

	/* The child may exit without reading all of stdin: EPIPE, not SIGPIPE. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigaction(SIGPIPE, &ign, &old_pipe);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	struct pollfd p[4] = {
		{ .fd = in[1], .events = POLLOUT }, { .fd = out[0], .events = POLLIN },
		{ .fd = err[0], .events = POLLIN }, { .fd = pidfd, .events = POLLIN },
	};
	size_t sent = 0;
	if (!o->in_len) {
		close(in[1]);
		p[0].fd = -1;
	}
	/* The child, once exited, stays a zombie until the end, so that its pid
	 * and process group id cannot be reused before the group is killed. */
	while (p[1].fd >= 0 || p[2].fd >= 0 || p[3].fd >= 0) {
		double left = t0 + o->deadline_s - spawn_now_s();
		if (left <= 0 && !r.deadline_hit) {
			r.deadline_hit = true;
			kill_child(pid, o->own_group);
			if (o->stop_at_deadline)
				break;
		}
		int ready = poll(p, 4, r.deadline_hit ? -1 : (int)(left * 1e3) + 1);
		if (ready < 0 && errno == EINTR)
			continue;
		TEST_ASSERT(ready >= 0, "poll: %s", strerror(errno));
		if (p[0].fd >= 0 && p[0].revents) {
			ssize_t w = write(p[0].fd, (const char *)o->in + sent, o->in_len - sent);
			if (w > 0)
				sent += w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == o->in_len) {
				close(p[0].fd);
				p[0].fd = -1;
			}
		}
		for (int i = 1; i <= 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			char chunk[65536];
			ssize_t got = read(p[i].fd, chunk, sizeof chunk);
			if (got > 0) {
				fwrite(chunk, 1, got, f[i - 1]);
			} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
		if (p[3].fd >= 0 && p[3].revents) {
			r.exit_secs = spawn_now_s() - t0;
			r.exited = !r.deadline_hit;
			close(p[3].fd);
			p[3].fd = -1;
		}
	}
	for (int i = 0; i < 4; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (o->own_group)
		kill_child(pid, true); /* whatever the child left behind in its group */
	while (waitpid(pid, &r.wait_status, 0) < 0)
		TEST_ASSERT(errno == EINTR, "waitpid: %s", strerror(errno));
	fclose(f[0]);
	fclose(f[1]);
	r.secs = spawn_now_s() - t0;
	if (!r.exit_secs)
		r.exit_secs = r.secs;
	return r;
}
