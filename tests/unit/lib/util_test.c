/* SPDX-License-Identifier: ISC */
/* Unit tests for lib/util.c. */
#include <errno.h>
#include <string.h>

#include "helper/tap.h"
#include "util.h"

static void
util_test_size(void)
{
	uint64_t	v = 0;

	tap_ok(util_parse_size("512M", &v) == 0 && v == 512ULL << 20, "512M");
	tap_ok(util_parse_size("4g", &v) == 0 && v == 4ULL << 30, "4g");
	tap_ok(util_parse_size("1024", &v) == 0 && v == 1024, "bare bytes");
	tap_ok(util_parse_size("1024b", &v) == 0 && v == 1024, "1024b");
	tap_ok(util_parse_size("64K", &v) == 0 && v == 65536, "64K");
	tap_ok(util_parse_size("1T", &v) == 0 && v == 1ULL << 40, "1T");
	/* Decimals, as vm.conf and OpenBSD's scan_scaled take them. */
	tap_ok(util_parse_size("100.5M", &v) == 0 &&
	    v == (100ULL << 20) + (512ULL << 10), "100.5M");
	tap_ok(util_parse_size("4.5G", &v) == 0 && v == 4608ULL << 20,
	    "4.5G");
	tap_ok(util_parse_size("0.5k", &v) == 0 && v == 512, "0.5k");
	tap_ok(util_parse_size(".25M", &v) == 0 && v == 256ULL << 10,
	    ".25M");
	tap_ok(util_parse_size("2.", &v) == 0 && v == 2, "2.");
	tap_ok(util_parse_size("1.0000000001G", &v) == 0 && v == 1ULL << 30,
	    "decimals past the ninth are ignored");
	tap_ok(util_parse_size("1.5", &v) == 0 && v == 1, "1.5 bytes is 1");
	tap_ok(util_parse_size("12Q", &v) == -1 && errno == EINVAL,
	    "bad suffix");
	tap_ok(util_parse_size("1MB", &v) == -1 && errno == EINVAL,
	    "two-letter suffix");
	tap_ok(util_parse_size("-1M", &v) == -1 && errno == EINVAL,
	    "negative");
	tap_ok(util_parse_size("", &v) == -1 && errno == EINVAL, "empty");
	tap_ok(util_parse_size(".", &v) == -1 && errno == EINVAL, "dot");
	tap_ok(util_parse_size("M", &v) == -1 && errno == EINVAL,
	    "suffix only");
	tap_ok(util_parse_size("1.2.3M", &v) == -1 && errno == EINVAL,
	    "two dots");
	tap_ok(util_parse_size(" 1M", &v) == -1 && errno == EINVAL,
	    "leading space");
	tap_ok(util_parse_size(NULL, &v) == -1 && errno == EINVAL, "NULL");
	tap_ok(util_parse_size("99999999999T", &v) == -1 && errno == ERANGE,
	    "overflow");
	tap_ok(util_parse_size("99999999999999999999999", &v) == -1 &&
	    errno == ERANGE, "overflow of bytes");
	tap_ok(util_parse_size("16777215.5T", &v) == 0 &&
	    v == UINT64_MAX - (1ULL << 39) + 1, "16777215.5T");
	tap_ok(util_parse_size("18446744073709551615", &v) == 0 &&
	    v == UINT64_MAX, "2^64 - 1 bytes");
	v = 7;
	tap_ok(util_parse_size("1x", &v) == -1 && v == 7,
	    "a failure leaves the result alone");
}

static void
util_test_size_str(void)
{
	char	buf[32];

	tap_ok(strcmp(util_size_str(16ULL << 20, buf, sizeof(buf)),
	    "16M") == 0, "16M");
	tap_ok(strcmp(util_size_str(128ULL << 30, buf, sizeof(buf)),
	    "128G") == 0, "128G");
	tap_ok(strcmp(util_size_str(2ULL << 40, buf, sizeof(buf)),
	    "2T") == 0, "2T");
	tap_ok(strcmp(util_size_str(1536ULL << 10, buf, sizeof(buf)),
	    "1536K") == 0, "1536K");
	tap_ok(strcmp(util_size_str(1000, buf, sizeof(buf)), "1000") == 0,
	    "1000");
	tap_ok(strcmp(util_size_str(0, buf, sizeof(buf)), "0") == 0, "0");
}

int
main(void)
{
	util_test_size();
	util_test_size_str();
	return tap_done();
}
