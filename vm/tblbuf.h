/* SPDX-License-Identifier: ISC */
/*
 * The bytes of firmware tables (ACPI, MP): a bounded little-endian
 * writer whose overflow is sticky and checked once at the end, and the
 * checksum byte the tables carry.
 */
#ifndef VM_TBLBUF_H
#define VM_TBLBUF_H

#include <stddef.h>
#include <stdint.h>

struct tblbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
	int		 overflow;	/* a write did not fit: no more */
};

/* tblbuf_put and the tblbuf_uN: append, little-endian. */
void	tblbuf_put(struct tblbuf *, const void *, size_t);
void	tblbuf_u8(struct tblbuf *, uint8_t);
void	tblbuf_u16(struct tblbuf *, uint16_t);
void	tblbuf_u32(struct tblbuf *, uint32_t);
void	tblbuf_u64(struct tblbuf *, uint64_t);
/* tblbuf_setN: store v little-endian at p. */
void	tblbuf_set16(uint8_t *, uint16_t);
void	tblbuf_set32(uint8_t *, uint32_t);
void	tblbuf_set64(uint8_t *, uint64_t);
/* tblbuf_sum: the byte that makes the n bytes at p sum to zero. */
uint8_t	tblbuf_sum(const uint8_t *, size_t);

#endif /* VM_TBLBUF_H */
