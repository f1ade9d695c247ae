/*
 * Keeps a crash or a curious user from writing the process's memory (keys, numbers) to disk.
 * The limit is set as well as the flag because with fs.suid_dumpable = 2 the kernel dumps a
 * process that is not dumpable too (readable by root only): into a file no larger than
 * RLIMIT_CORE, or to a core_pattern pipe, which is told the limit (systemd-coredump stores
 * nothing when it is 0).
 */
#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "common/coredump.h"

int itin_no_core_dumps(void)
{
	const struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return -errno;
	return 0;
}
