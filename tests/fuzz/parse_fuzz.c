/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: vm.conf text (macros, include) through config_parse. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmd/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A private directory holding the input as fuzz.conf next to a small
 * inc.conf, so `include "inc.conf"` and `include "fuzz.conf"` both work,
 * and a FIFO nothing writes to and a directory, which an include must
 * refuse without blocking (`include "fifo"`, `include "dir"`). Set on the
 * first call; the harness's only state.
 */
static char	 fuzz_dir[64];

static void
parse_fuzz_write(const char *path, const void *data, size_t len)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	if (len > 0 && fwrite(data, 1, len, fp) != len)
		abort();
	fclose(fp);
}

/* At exit: the directory and what the harness put in it. */
static void
parse_fuzz_cleanup(void)
{
	static const char *const names[] = { "inc.conf", "fuzz.conf",
	    "print.conf", "fifo" };
	char	 path[128];
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, names[i]);
		(void)unlink(path);
	}
	snprintf(path, sizeof(path), "%s/dir", fuzz_dir);
	(void)rmdir(path);
	(void)rmdir(fuzz_dir);
}

static void
parse_fuzz_setup(void)
{
	static const char inc[] = "switch \"sw\" { interface br0 }\n"
	    "incmacro = \"64M\"\n";
	char	 path[128];

	strlcpy(fuzz_dir, "/tmp/parse_fuzz.XXXXXX", sizeof(fuzz_dir));
	if (mkdtemp(fuzz_dir) == NULL || atexit(parse_fuzz_cleanup) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/inc.conf", fuzz_dir);
	parse_fuzz_write(path, inc, sizeof(inc) - 1);
	snprintf(path, sizeof(path), "%s/fifo", fuzz_dir);
	if (mkfifo(path, 0600) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/dir", fuzz_dir);
	if (mkdir(path, 0700) == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config_macros	 defs = { NULL, 0 };
	struct vmd_config	*c, *c2;
	char			 path[128], path2[128];
	FILE			*fp;
	int			 errors;

	if (fuzz_dir[0] == '\0')
		parse_fuzz_setup();
	snprintf(path, sizeof(path), "%s/fuzz.conf", fuzz_dir);
	snprintf(path2, sizeof(path2), "%s/print.conf", fuzz_dir);
	parse_fuzz_write(path, data, len);
	if (config_macros_add(&defs, "mem=1G") == -1 ||
	    config_macros_add(&defs, "sw=sw") == -1)
		abort();

	c = config_parse(path, &defs, CONFIG_F_QUIET, &errors);
	if (c == NULL && errors == 0)
		abort();
	if (c != NULL) {
		/* What config_print writes must parse back without error. */
		if ((fp = fopen(path2, "w")) == NULL)
			abort();
		config_print(fp, c);
		fclose(fp);
		c2 = config_parse(path2, NULL, CONFIG_F_QUIET, &errors);
		if (c2 == NULL)
			__builtin_trap();
		config_free(c2);
		config_free(c);
	}
	config_macros_free(&defs);
	return 0;
}
