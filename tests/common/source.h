/* Where a line is in the project's own sources: the tests compare the source
 * lines forklab prints with the files themselves, not with numbers that go
 * stale when a file changes. */
#ifndef TESTS_SOURCE_H
#define TESTS_SOURCE_H

/* The 1-based number of the first line of path (from the repo root) holding
 * needle; fails the test if there is none. */
int source_line(const char *path, const char *needle);

#endif
