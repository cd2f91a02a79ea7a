/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/util.c. */
#include <errno.h>

#include "helper/tap.h"
#include "util.h"

int
main(void)
{
	uint64_t	v = 0;

	tap_ok(util_parse_size("512M", &v) == 0 && v == 512ULL << 20, "512M");
	tap_ok(util_parse_size("4g", &v) == 0 && v == 4ULL << 30, "4g");
	tap_ok(util_parse_size("1024", &v) == 0 && v == 1024, "bare bytes");
	tap_ok(util_parse_size("64K", &v) == 0 && v == 65536, "64K");
	tap_ok(util_parse_size("12Q", &v) == -1 && errno == EINVAL,
	    "bad suffix");
	tap_ok(util_parse_size("1MB", &v) == -1, "two-letter suffix");
	tap_ok(util_parse_size("-1M", &v) == -1, "negative");
	tap_ok(util_parse_size("", &v) == -1, "empty");
	tap_ok(util_parse_size("99999999999T", &v) == -1 && errno == ERANGE,
	    "overflow");
	return tap_done();
}
