/* SPDX-License-Identifier: ISC */
/*
 * Guest RAM: one anonymous private mapping, 2 MiB aligned and marked for
 * transparent huge pages, split around the 32-bit PCI hole.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "platform.h"

#define MEM_HUGE	(2ULL << 20)	/* a transparent huge page */

/*
 * mem_init: guest RAM as anonymous memory the kernel fills on first
 * touch, aligned to 2 MiB so that guest-physical 2 MiB ranges can be
 * host huge pages (mem_hugepages). A memfd would not do: shared memory
 * gets huge pages only if the host's shmem policy says so, and Debian's
 * does not.
 */
int
mem_init(struct mem *mem, uint64_t size)
{
	uint64_t	 low, lead;
	uint8_t		*p;

	memset(mem, 0, sizeof(*mem));
	if (size < PLAT_MIN_MEM || size > PLAT_MAX_MEM || size % 4096) {
		errno = EINVAL;
		return -1;
	}
	p = mmap(NULL, size + MEM_HUGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("%s: mmap %llu", __func__, (unsigned long long)size);
		return -1;
	}
	/* Trim to a 2 MiB aligned start; the tail's slack goes too. */
	lead = (MEM_HUGE - ((uintptr_t)p & (MEM_HUGE - 1))) & (MEM_HUGE - 1);
	if (lead > 0)
		(void)munmap(p, lead);
	if (MEM_HUGE - lead > 0)
		(void)munmap(p + lead + size, MEM_HUGE - lead);
	mem->base = p + lead;
	(void)madvise(mem->base, size, MADV_DONTFORK);
	mem->size = size;
	low = size < PLAT_PCI_HOLE_START ? size : PLAT_PCI_HOLE_START;
	mem->regions[0].gpa = 0;
	mem->regions[0].size = low;
	mem->regions[0].hva = mem->base;
	mem->nregions = 1;
	if (size > low) {
		mem->regions[1].gpa = PLAT_PCI_HOLE_END;
		mem->regions[1].size = size - low;
		mem->regions[1].hva = mem->base + low;
		mem->nregions = 2;
	}
	return 0;
}

/*
 * mem_hugepages: from now on, 2 MiB ranges the guest touches first get
 * transparent huge pages where the host allows them (its "madvise"
 * policy): the guest's buffers then span few pages, so O_DIRECT pins few
 * and the block layer's segments are few, copies into guest memory cross
 * fewer TLB entries, and hardware KVM can map the guest with large
 * pages. Called once the guest runs, not before: each huge page costs
 * its 2 MiB zeroed at the first touch, and what the VMM writes before
 * the first instruction (kernel, tables) would make the start wait for
 * that.
 */
void
mem_hugepages(const struct mem *mem)
{
	(void)madvise(mem->base, mem->size, MADV_HUGEPAGE);
}

void
mem_free(struct mem *mem)
{
	if (mem->base != NULL)
		munmap(mem->base, mem->size);
	memset(mem, 0, sizeof(*mem));
}

void *
mem_gpa2hva(const struct mem *mem, uint64_t gpa, uint64_t len)
{
	const struct mem_region	*r;
	int			 i;

	for (i = 0; i < mem->nregions; i++) {
		r = &mem->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa <= r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int
mem_write(const struct mem *mem, uint64_t gpa, const void *buf, size_t len)
{
	void	*p;

	if ((p = mem_gpa2hva(mem, gpa, len)) == NULL) {
		errno = EFAULT;
		return -1;
	}
	memcpy(p, buf, len);
	return 0;
}

int
mem_read(const struct mem *mem, uint64_t gpa, void *buf, size_t len)
{
	void	*p;

	if ((p = mem_gpa2hva(mem, gpa, len)) == NULL) {
		errno = EFAULT;
		return -1;
	}
	memcpy(buf, p, len);
	return 0;
}
