/* SPDX-License-Identifier: ISC */
/* Small helpers shared by vmd, vmctl and tests. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "util.h"

int
util_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long	 v;
	char			*end;
	int			 shift = 0;

	if (s == NULL || !isdigit((unsigned char)s[0])) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
	case 'B':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (*end != '\0' && end[1] != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		errno = ERANGE;
		return -1;
	}
	*bytes = (uint64_t)v << shift;
	return 0;
}
