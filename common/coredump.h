/*
 * No core dumps: itinerad and itinerad-db hold the HMAC keys and, for moments, phone numbers;
 * a core file or a debugger attached by the same user would show them.
 */
#pragma once

/* Makes this process not dumpable (no core file, no ptrace by its own user, /proc/PID files
 * owned by root) and its core size limit 0 (inherited by what it starts, the embedded
 * cluster's postgres). 0, or -errno of the first step that failed. */
int itin_no_core_dumps(void);
