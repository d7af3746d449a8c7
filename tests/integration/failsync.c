/*
 * Test shim, loaded with LD_PRELOAD: fsync(2) and fdatasync(2) fail with
 * EIO while the file named by $SF_FAILSYNC exists, and work otherwise.  The
 * disk that stops syncing, for the tests of what a server answers then
 * (tests/integration/smdp_syncfail.sh).  Not part of simfleet.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int failing(void)
{
	const char *p = getenv("SF_FAILSYNC");
	return p && *p && access(p, F_OK) == 0;
}

int fdatasync(int fd)
{
	if (failing()) {
		errno = EIO;
		return -1;
	}
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return real ? real(fd) : -1;
}

int fsync(int fd)
{
	if (failing()) {
		errno = EIO;
		return -1;
	}
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real ? real(fd) : -1;
}
