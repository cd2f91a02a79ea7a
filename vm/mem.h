/* SPDX-License-Identifier: ISC */
/* Guest RAM: one anonymous mapping, split around the 32-bit PCI hole. */
#ifndef VM_MEM_H
#define VM_MEM_H

#include <stddef.h>
#include <stdint.h>

struct mem_region {
	uint64_t	 gpa;
	uint64_t	 size;
	uint8_t		*hva;
};

/* Written once by mem_init on the main thread; read-only afterwards. */
struct mem {
	uint8_t			*base;		/* the whole of guest RAM */
	uint64_t		 size;		/* total RAM bytes */
	struct mem_region	 regions[2];	/* below 3G, above 4G */
	int			 nregions;
};

/* mem_init: create and map size bytes of guest RAM. 0, or -1 and errno. */
int	mem_init(struct mem *, uint64_t size);
/* mem_hugepages: huge pages for what the guest touches from now on. */
void	mem_hugepages(const struct mem *);
void	mem_free(struct mem *);
/*
 * mem_gpa2hva: host pointer for [gpa, gpa+len), or NULL if any byte is
 * outside RAM or the range crosses a region. Never trusts the guest.
 */
void	*mem_gpa2hva(const struct mem *, uint64_t gpa, uint64_t len);
/* mem_write/mem_read: copy in or out of guest RAM; -1 (EFAULT) if outside. */
int	mem_write(const struct mem *, uint64_t gpa, const void *, size_t);
int	mem_read(const struct mem *, uint64_t gpa, void *, size_t);

#endif /* VM_MEM_H */
