/* Where gdb connects: a TCP port ([HOST:]PORT, HOST 127.0.0.1 by default) or
 * a Unix socket (unix:PATH). The sockets raise SIGIO when gdb sends a byte
 * or connects, which is how ^C interrupts a running vCPU without a thread. */
#ifndef FL_GDB_TRANSPORT_H
#define FL_GDB_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

/* Checks an address's syntax only; -1 with a one-line reason. */
int gdb_addr_check(const char *addr, char *err, size_t errlen);
/* A listening socket for addr, non-blocking, with SIGIO on a connection;
 * -1 with a reason. */
int gdb_listen(const char *addr, char *err, size_t errlen);
/* Accepts one connection (blocking if wait): a blocking socket that raises
 * SIGIO when bytes arrive; -1 if none is pending (or on error). */
int gdb_accept(int listen_fd, bool wait);
/* Writes all of buf; -1 if the peer is gone. */
int gdb_send(int fd, const char *buf, size_t len);
/* Removes a Unix socket's file at the end of the run. */
void gdb_unlink(const char *addr);

#endif
