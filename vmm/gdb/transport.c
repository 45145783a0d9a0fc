/* gdb's socket (transport.h). One client at a time; it is trusted no more
 * than the guest: the stub only ever reads bytes from it. */
#include "gdb/transport.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define UNIX_PREFIX "unix:"

/* HOST and PORT of [HOST:]PORT, PORT being 1..65535. */
static int split_tcp(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon = strrchr(addr, ':');
	const char *p = colon ? colon + 1 : addr;
	size_t hl = colon ? (size_t)(colon - addr) : 0;
	char *end;
	errno = 0;
	unsigned long v = strtoul(p, &end, 10);
	if (!*p || *end || errno || v < 1 || v > 65535 || *p == '-' || *p == '+' || hl >= hostlen ||
	    strlen(p) >= portlen)
		return -1;
	snprintf(host, hostlen, "%.*s", (int)hl, addr);
	if (!*host)
		snprintf(host, hostlen, "127.0.0.1");
	snprintf(port, portlen, "%s", p);
	return 0;
}

int gdb_addr_check(const char *addr, char *err, size_t n)
{
	char host[256], port[8];
	if (!strncmp(addr, UNIX_PREFIX, strlen(UNIX_PREFIX))) {
		size_t l = strlen(addr + strlen(UNIX_PREFIX));
		if (!l || l >= sizeof ((struct sockaddr_un *)0)->sun_path)
			return fl_fail(err, n, "--gdb %s: a Unix socket path of 1 to 107 bytes", addr);
		return 0;
	}
	if (split_tcp(addr, host, sizeof host, port, sizeof port) < 0)
		return fl_fail(err, n, "--gdb %s: not [HOST:]PORT (PORT 1..65535) or unix:PATH", addr);
	return 0;
}

static int async_owner(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETOWN, getpid()) < 0 || fcntl(fd, F_SETFL, fl | O_ASYNC) < 0 ? -1 : 0;
}

int gdb_listen(const char *addr, char *err, size_t n)
{
	int fd = -1;
	if (gdb_addr_check(addr, err, n) < 0)
		return -1;
	if (!strncmp(addr, UNIX_PREFIX, strlen(UNIX_PREFIX))) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		struct stat st;
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", addr + strlen(UNIX_PREFIX));
		/* A socket left by an earlier run would make bind fail; anything
		 * else at that path is the user's, and stays. */
		if (lstat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(sa.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			goto fail;
	} else {
		char host[256], port[8];
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
		split_tcp(addr, host, sizeof host, port, sizeof port);
		int r = getaddrinfo(host, port, &hints, &ai);
		if (r)
			return fl_fail(err, n, "--gdb %s: %s", addr, gai_strerror(r));
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		int one = 1;
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		r = fd < 0 ? -1 : bind(fd, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(ai);
		if (r < 0)
			goto fail;
	}
	if (listen(fd, 1) < 0 || async_owner(fd) < 0)
		goto fail;
	return fd;
fail:
	fl_fail(err, n, "--gdb %s: %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int gdb_accept(int listen_fd, bool wait)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails on Unix: fine */
			if (async_owner(fd) < 0) {
				close(fd);
				return -1;
			}
			return fd;
		}
		if (!wait || (errno != EAGAIN && errno != EINTR))
			return -1;
		struct pollfd p = { .fd = listen_fd, .events = POLLIN };
		poll(&p, 1, -1);
	}
}

int gdb_send(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w, len -= w;
	}
	return 0;
}

void gdb_unlink(const char *addr)
{
	struct stat st;
	const char *path = addr + strlen(UNIX_PREFIX);
	if (!strncmp(addr, UNIX_PREFIX, strlen(UNIX_PREFIX)) && lstat(path, &st) == 0 &&
	    S_ISSOCK(st.st_mode))
		unlink(path);
}
