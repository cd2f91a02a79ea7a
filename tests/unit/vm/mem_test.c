/* SPDX-License-Identifier: ISC */
/* Unit tests for vm/mem.c: layout around the PCI hole and bounds checks. */
#include <errno.h>
#include <string.h>

#include "helper/tap.h"
#include "vm/mem.h"
#include "vm/platform.h"

int
main(void)
{
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
	    m.base + PLAT_PCI_HOLE_START, "4G maps after low RAM in the memfd");
	mem_free(&m);

	tap_ok(mem_init(&m, 1ULL << 20) == -1 && errno == EINVAL,
	    "too little memory refused");
	tap_ok(mem_init(&m, (64ULL << 20) + 1) == -1 && errno == EINVAL,
	    "unaligned size refused");
	return tap_done();
}
