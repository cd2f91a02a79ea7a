/* SPDX-License-Identifier: ISC */
/* The kernel command line: a copy of it, and lookups of tg.* options. */
#include "guest.h"

#define CMDLINE_MAX	65536

static char	 cmdline_buf[CMDLINE_MAX];

/* cmdline_init: copy the command line the loader gave us. */
void
cmdline_init(void)
{
	const char	*p;
	uint64_t	 a;
	size_t		 i;

	a = bp32(BP_CMD_LINE_PTR) | (uint64_t)bp32(BP_EXT_CMD_LINE_PTR) << 32;
	if (a == 0 || a >= 0x100000000ULL)
		return;
	p = (const char *)a;
	for (i = 0; i < CMDLINE_MAX - 1 && p[i] != '\0'; i++)
		cmdline_buf[i] = p[i];
	cmdline_buf[i] = '\0';
}

const char *
cmdline(void)
{
	return cmdline_buf;
}

/*
 * cmdline_get: the value of the last "key=value" token, copied to buf
 * (NUL-terminated, cut to len).  Returns 1 if the key is there, else 0.
 */
int
cmdline_get(const char *key, char *buf, size_t len)
{
	const char	*p = cmdline_buf, *tok, *val = NULL;
	size_t		 klen = strlen(key), n, vlen = 0;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		for (tok = p; *p != '\0' && *p != ' '; p++)
			;
		n = p - tok;
		if (n > klen && strncmp(tok, key, klen) == 0 &&
		    tok[klen] == '=') {
			val = tok + klen + 1;
			vlen = n - klen - 1;
		}
	}
	if (val == NULL)
		return 0;
	if (len > 0) {
		if (vlen > len - 1)
			vlen = len - 1;
		memcpy(buf, val, vlen);
		buf[vlen] = '\0';
	}
	return 1;
}

/* cmdline_u64: a numeric option.  Returns 1 if present and valid. */
int
cmdline_u64(const char *key, uint64_t *v)
{
	char	 buf[32];

	if (!cmdline_get(key, buf, sizeof(buf)))
		return 0;
	if (parse_u64(buf, strlen(buf), v) == -1) {
		printf("# cmdline: %s=%s is not a number\n", key, buf);
		return 0;
	}
	return 1;
}

/*
 * cmdline_check: whether to run check name.  Without tg.checks, the
 * checks that are on by default run; tg.checks=a,b,... runs those named,
 * tg.checks=all runs every one.
 */
int
cmdline_check(const char *name, int dflt)
{
	char		 list[256];
	const char	*p, *q;
	size_t		 n = strlen(name);

	if (!cmdline_get("tg.checks", list, sizeof(list)))
		return dflt;
	for (p = list; *p != '\0'; p = *q == ',' ? q + 1 : q) {
		for (q = p; *q != '\0' && *q != ','; q++)
			;
		if ((size_t)(q - p) == 3 && strncmp(p, "all", 3) == 0)
			return 1;
		if ((size_t)(q - p) == n && strncmp(p, name, n) == 0)
			return 1;
	}
	return 0;
}
