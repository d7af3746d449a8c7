/*
 * Test shim, loaded with LD_PRELOAD: the first rewind(3) of the process
 * first overwrites the file named by $SF_REWRITE_FILE, in place (same
 * inode, truncated), with the contents of $SF_REWRITE_FROM.  A file changed
 * between the two passes of `smdp import --subscribers`, at a known moment
 * (tests/integration/smdp_import_changed.sh).  Not part of simfleet.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void overwrite(void)
{
	const char *to = getenv("SF_REWRITE_FILE"), *from = getenv("SF_REWRITE_FROM");
	if (!to || !from)
		return;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "r+b");
	if (in && out && ftruncate(fileno(out), 0) == 0) {
		char b[8192];
		size_t n;
		while ((n = fread(b, 1, sizeof(b), in)) > 0)
			if (fwrite(b, 1, n, out) != n)
				break;
	}
	if (in)
		fclose(in);
	if (out)
		fclose(out);
}

void rewind(FILE *f)
{
	static int done;
	if (!done) {
		done = 1;
		overwrite();
	}
	void (*real)(FILE *) = (void (*)(FILE *))dlsym(RTLD_NEXT, "rewind");
	if (real)
		real(f);
}
