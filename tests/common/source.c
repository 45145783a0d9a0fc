#include "common/source.h"
#include "common/fl_assert.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

int source_line(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[512];
	TEST_ASSERT(f, "cannot open %s", path);
	for (int n = 1; fgets(line, sizeof line, f); n++)
		if (strstr(line, needle)) {
			fclose(f);
			return n;
		}
	fclose(f);
	TEST_FAIL("%s: no line holds \"%s\"", path, needle);
	return 0;
}
