/* SPDX-License-Identifier: ISC */
/* Small helpers shared by vmd, vmctl and tests. */
#ifndef LIB_UTIL_H
#define LIB_UTIL_H

#include <stdint.h>

/*
 * util_parse_size: parse a byte count with an optional B, K, M, G or T
 * suffix (powers of 1024) into *bytes. 0, or -1 with errno EINVAL or
 * ERANGE.
 */
int	util_parse_size(const char *, uint64_t *bytes);

#endif /* LIB_UTIL_H */
