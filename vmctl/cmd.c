/* SPDX-License-Identifier: ISC */
/* vmctl's command table: names, usage lines and handlers. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vmctl.h"

static const struct vmctl_cmd cmd_table[] = {
	{ "console", "id", cmd_console },
	{ "create", "[-b base | -i disk] [-s size] disk", cmd_create },
	{ "load", "filename", cmd_load },
	{ "log", "[brief | verbose]", cmd_log },
	{ "pause", "id", cmd_pause },
	{ "reload", "", cmd_reload },
	{ "reset", "[all | switches | vms]", cmd_reset },
	{ "run", "[-Ll] [-B device] [-b path] [-d [ro,direct,format:]disk] "
	    "[-I initrd] [-i count]\n\t    [-k cmdline] [-m size] [-p cpus] "
	    "[-r path] [-t tap]", cmd_run },
	{ "show", "[-jr] [id]", cmd_status },
	{ "start", "[-cL] [-B device] [-b path] [-d disk] [-I initrd] "
	    "[-i count]\n\t    [-k cmdline] [-m size] [-n switch] [-p cpus] "
	    "[-r path] [-t name] id | name", cmd_start },
	{ "status", "[-jr] [id]", cmd_status },
	{ "stop", "[-fw] [id | -a]", cmd_stop },
	{ "unpause", "id", cmd_unpause },
	{ "wait", "id", cmd_wait },
};

#define CMD_COUNT	(sizeof(cmd_table) / sizeof(cmd_table[0]))

const struct vmctl_cmd *
cmd_find(const char *name, int *ambiguous)
{
	const struct vmctl_cmd	*match = NULL;
	size_t			 i, len = strlen(name);

	*ambiguous = 0;
	for (i = 0; i < CMD_COUNT; i++) {
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
		if (len > 0 && strncmp(cmd_table[i].name, name, len) == 0) {
			if (match != NULL)
				*ambiguous = 1;
			match = &cmd_table[i];
		}
	}
	return *ambiguous ? NULL : match;
}

void
cmd_usage_all(void)
{
	size_t	i;

	fprintf(stderr, "usage:\tvmctl [-v] [-s socket] command [arg ...]\n");
	for (i = 0; i < CMD_COUNT; i++)
		fprintf(stderr, "\tvmctl %s %s\n", cmd_table[i].name,
		    cmd_table[i].usage);
}

void
cmd_usage(const struct vmctl_cmd *cmd)
{
	fprintf(stderr, "usage:\tvmctl [-v] %s %s\n", cmd->name, cmd->usage);
	exit(1);
}

uint64_t
cmd_memsize(const char *arg)
{
	char		lo[16], hi[16], got[16];
	uint64_t	mem;

	if (util_parse_size(arg, &mem) == -1) {
		if (errno != ERANGE)
			errx(1, "invalid memory size: %s", arg);
		mem = UINT64_MAX;	/* too large for anyone */
	}
	if (mem < VMCTL_MEM_MIN || mem > VMCTL_MEM_MAX)
		errx(1, "memory size %s out of range (%s to %s)", arg,
		    util_size_str(VMCTL_MEM_MIN, lo, sizeof(lo)),
		    util_size_str(VMCTL_MEM_MAX, hi, sizeof(hi)));
	if (mem % VMCTL_MEM_ROUND != 0) {
		mem -= mem % VMCTL_MEM_ROUND;
		warnx("memory size rounded down to %s",
		    util_size_str(mem, got, sizeof(got)));
	}
	return mem;
}
