/* Writes distinct lines to fd 1 and fd 2, interleaved, with write(2) and no
 * stdio buffering: checks that the host keeps the two streams apart. */
#include <string.h>
#include <unistd.h>

static int put(int fd, const char *s)
{
	return write(fd, s, strlen(s)) != (ssize_t)strlen(s);
}

int main(void)
{
	int bad = put(1, "out: first\n");
	bad |= put(2, "err: first\n");
	bad |= put(1, "out: second\n");
	bad |= put(2, "err: second\n");
	return bad;
}
