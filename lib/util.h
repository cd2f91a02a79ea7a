/* SPDX-License-Identifier: ISC */
/* Small helpers shared by vmd, vmctl and tests. */
#ifndef LIB_UTIL_H
#define LIB_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * util_parse_size: the one parser of sizes, for vm.conf and vmctl: a
 * number of bytes with an optional B, K, M, G or T suffix (powers of 1024,
 * either case) and an optional decimal fraction ("512M", "4.5G", "0.5k",
 * "1024"), as OpenBSD's scan_scaled reads them; a fraction of a byte is
 * dropped. 0, or -1 with errno EINVAL (not a size) or ERANGE (more than
 * 2^64 - 1 bytes).
 */
int	util_parse_size(const char *, uint64_t *bytes);

/*
 * util_size_str: bytes in the largest unit that shows it exactly ("16M",
 * "128G", "1536K", "100") into buf; returns buf.
 */
const char *util_size_str(uint64_t bytes, char *buf, size_t len);

#endif /* LIB_UTIL_H */
