/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for vm/mem.c: layout around the PCI hole, bounds checks,
 * 2 MiB alignment and the huge-page advice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper/tap.h"
#include "vm/mem.h"
#include "vm/platform.h"

/*
 * mem_test_flags: the VmFlags line of the mapping at base in
 * /proc/self/smaps into flags; 0, or -1 if there is no such mapping.
 */
static int
mem_test_flags(const void *base, char *flags, size_t len)
{
	FILE		*f;
	char		 line[512];
	uintptr_t	 lo, hi;
	int		 in = 0, rv = -1;

	if ((f = fopen("/proc/self/smaps", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = lo == (uintptr_t)base;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			(void)snprintf(flags, len, "%s", line + 8);
			rv = 0;
			break;
		}
	}
	fclose(f);
	return rv;
}

int
main(void)
{
	char		flags[256];
	struct mem	m;
	uint8_t		buf[16];

	tap_is(mem_init(&m, 64ULL << 20), 0, "64M of RAM");
	tap_is(m.nregions, 1, "64M: one region");
	tap_ok(mem_gpa2hva(&m, 0, 64ULL << 20) == m.base, "whole range maps");
	tap_ok(mem_gpa2hva(&m, (64ULL << 20) - 1, 2) == NULL,
	    "range past the end refused");
	tap_ok(mem_gpa2hva(&m, UINT64_MAX - 4, 8) == NULL,
	    "wrapping range refused");
	tap_ok(mem_gpa2hva(&m, 64ULL << 20, 0) != NULL,
	    "empty range at the end is fine");
	memset(buf, 0xab, sizeof(buf));
	tap_is(mem_write(&m, 0x1000, buf, sizeof(buf)), 0, "mem_write");
	tap_ok(m.base[0x1000] == 0xab && m.base[0x100f] == 0xab,
	    "bytes landed");
	tap_ok(mem_read(&m, 64ULL << 20, buf, 1) == -1 && errno == EFAULT,
	    "mem_read outside RAM is EFAULT");
	tap_ok(((uintptr_t)m.base & ((2U << 20) - 1)) == 0,
	    "RAM starts on a 2 MiB boundary (huge pages can back it)");
	tap_ok(mem_test_flags(m.base, flags, sizeof(flags)) == 0 &&
	    strstr(flags, " hg") == NULL && strstr(flags, " dc") != NULL,
	    "no huge-page advice before the guest runs, not inherited by a "
	    "fork");
	mem_hugepages(&m);
	tap_ok(mem_test_flags(m.base, flags, sizeof(flags)) == 0 &&
	    strstr(flags, " hg") != NULL, "mem_hugepages: advised (hg)");
	mem_free(&m);

	tap_is(mem_init(&m, 4ULL << 30), 0, "4G of RAM");
	tap_is(m.nregions, 2, "4G: split around the hole");
	tap_ok(m.regions[0].size == PLAT_PCI_HOLE_START &&
	    m.regions[1].gpa == PLAT_PCI_HOLE_END &&
	    m.regions[1].size == (4ULL << 30) - PLAT_PCI_HOLE_START,
	    "1G above 4G");
	tap_ok(mem_gpa2hva(&m, PLAT_PCI_HOLE_START, 1) == NULL,
	    "the hole is not RAM");
	tap_ok(mem_gpa2hva(&m, PLAT_PCI_HOLE_START - 4, 8) == NULL,
	    "a range crossing into the hole is refused");
	tap_ok(mem_gpa2hva(&m, PLAT_PCI_HOLE_END, 8) ==
	    m.base + PLAT_PCI_HOLE_START, "4G maps after low RAM");
	mem_free(&m);

	tap_ok(mem_init(&m, 1ULL << 20) == -1 && errno == EINVAL,
	    "too little memory refused");
	tap_ok(mem_init(&m, (64ULL << 20) + 1) == -1 && errno == EINVAL,
	    "unaligned size refused");
	return tap_done();
}
