/*
 * A main for the libFuzzer harnesses without libFuzzer: runs LLVMFuzzerTestOneInput() once on
 * each file named, in a buffer of exactly its size as libFuzzer does (so that AddressSanitizer
 * sees a read past the end). tests/fuzz/replay.sh links the harnesses with it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT_MAX (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	static uint8_t buf[INPUT_MAX + 1];

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *input;
		size_t n;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		if (ferror(f) || n > INPUT_MAX) {
			fprintf(stderr, "%s: unreadable, or larger than %d octets\n", argv[i], INPUT_MAX);
			fclose(f);
			return 1;
		}
		fclose(f);
		input = malloc(n ? n : 1);
		if (!input)
			return 1;
		memcpy(input, buf, n);
		LLVMFuzzerTestOneInput(input, n);
		free(input);
	}
	return 0;
}
