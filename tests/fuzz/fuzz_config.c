/*
 * libFuzzer harness: the config parser on arbitrary files. The input is written to a temporary
 * file (the parser reads a path, as itinerad does) and parsed; a refusal is fine, a crash or a
 * leak is not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <talloc.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	char err[512];
	void *ctx = talloc_named_const(NULL, 0, "fuzz");
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/itin-fuzz-config.%d", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	itin_config_load(ctx, path, err, sizeof(err));
	talloc_free(ctx);
	return 0;
}
