/* SPDX-License-Identifier: ISC */
/* Small helpers shared by vmd, vmctl and tests. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#include "util.h"

/* Nine decimals are plenty; the rest of a fraction is ignored. */
#define UTIL_FRAC_MAX	1000000000ULL

int
util_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t	 whole = 0, frac = 0, fracdiv = 1;
	const char	*p = s;
	int		 shift = 0, digits = 0;

	if (s == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++, digits++) {
		if (whole > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			goto range;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++) {
			if (fracdiv < UTIL_FRAC_MAX) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fracdiv *= 10;
			}
		}
	}
	if (digits == 0)
		goto inval;
	switch (toupper((unsigned char)*p)) {
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
		goto inval;
	}
	if (*p != '\0' && p[1] != '\0')
		goto inval;
	if (whole > (UINT64_MAX >> shift))
		goto range;
	/*
	 * frac < fracdiv <= 1e9 < 2^30, so frac << 40 fits, and the fraction
	 * adds less than one unit, which whole << shift leaves room for.
	 */
	*bytes = (whole << shift) + (frac << shift) / fracdiv;
	return 0;
 inval:
	errno = EINVAL;
	return -1;
 range:
	errno = ERANGE;
	return -1;
}

const char *
util_size_str(uint64_t bytes, char *buf, size_t len)
{
	static const char	 units[] = "KMGT";
	int			 i;

	for (i = 4; i > 0; i--)
		if (bytes != 0 && bytes % (1ULL << (10 * i)) == 0)
			break;
	if (i == 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c",
		    (unsigned long long)(bytes >> (10 * i)), units[i - 1]);
	return buf;
}
