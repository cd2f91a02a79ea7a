/* SPDX-License-Identifier: ISC */
/* Guest RAM: one memfd, mapped once, split around the 32-bit PCI hole. */
#include <sys/mman.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "platform.h"

int
mem_init(struct mem *mem, uint64_t size)
{
	uint64_t	low;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (size < PLAT_MIN_MEM || size > PLAT_MAX_MEM || size % 4096) {
		errno = EINVAL;
		return -1;
	}
	if ((mem->fd = memfd_create("guest-ram", MFD_CLOEXEC)) == -1) {
		log_warn("%s: memfd_create", __func__);
		return -1;
	}
	if (ftruncate(mem->fd, (off_t)size) == -1) {
		log_warn("%s: ftruncate %llu", __func__,
		    (unsigned long long)size);
		goto fail;
	}
	mem->base = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_NORESERVE, mem->fd, 0);
	if (mem->base == MAP_FAILED) {
		mem->base = NULL;
		log_warn("%s: mmap", __func__);
		goto fail;
	}
	(void)madvise(mem->base, size, MADV_HUGEPAGE);
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
 fail:
	close(mem->fd);
	mem->fd = -1;
	return -1;
}

void
mem_free(struct mem *mem)
{
	if (mem->base != NULL)
		munmap(mem->base, mem->size);
	if (mem->fd != -1)
		close(mem->fd);
	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
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
