/* SPDX-License-Identifier: ISC */
/*
 * Unit-test helper: read the little-endian fields and byte sums of the
 * tables the VM process writes for its guests (ACPI, SMBIOS, fw_cfg).
 */
#ifndef TESTS_HELPER_BYTES_H
#define TESTS_HELPER_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t
le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t
le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

static inline uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* sum: the 8-bit sum of n bytes (0 for a table with a valid checksum). */
static inline uint8_t
sum(const uint8_t *p, size_t n)
{
	uint8_t	s = 0;

	while (n-- > 0)
		s += *p++;
	return s;
}

#endif
