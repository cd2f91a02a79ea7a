/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: arbitrary split rings and descriptor chains for virtq. */
#include <string.h>

#include "vm/mem.h"
#include "vm/virtio/virtq.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_RAM	(16ULL << 20)
#define FUZZ_IMAGE	(64 * 1024)

/*
 * The input is the first 64K of guest RAM: byte 0 picks the queue size
 * (1 << (b & 15)), byte 1 the features (bit 0 event index, bit 1
 * indirect), and the rings follow at 0x40: descriptors, avail, then used
 * at the next 4-byte boundary. Descriptors may point anywhere.
 */
static struct mem	fuzz_mem;
static int		fuzz_ready;

static void
fuzz_check_chain(const struct virtq_chain *c)
{
	const uint8_t	*lo = fuzz_mem.base, *hi = lo + fuzz_mem.size;
	const uint8_t	*p;
	size_t		 r = 0, w = 0;
	int		 i;

	if (c->nread < 0 || c->nwrite < 0 ||
	    c->nread + c->nwrite > VIRTQ_MAX_IOV)
		__builtin_trap();
	for (i = 0; i < c->nread + c->nwrite; i++) {
		p = c->iov[i].iov_base;
		if (p < lo || p > hi || c->iov[i].iov_len == 0 ||
		    c->iov[i].iov_len > (size_t)(hi - p))
			__builtin_trap();
		if (i < c->nread)
			r += c->iov[i].iov_len;
		else
			w += c->iov[i].iov_len;
	}
	if (r != c->rlen || w != c->wlen)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct virtq_chain	c;
	struct virtq			vq;
	uint64_t			desc, avail, used, feat = 0;
	uint16_t			size;
	uint8_t				tmp[64];
	int				i, r;

	if (!fuzz_ready) {
		if (mem_init(&fuzz_mem, FUZZ_RAM) == -1)
			__builtin_trap();
		fuzz_ready = 1;
	}
	if (len < 2)
		return 0;
	memset(fuzz_mem.base, 0, FUZZ_IMAGE);
	memcpy(fuzz_mem.base, data, len > FUZZ_IMAGE ? FUZZ_IMAGE : len);
	size = (uint16_t)(1U << (data[0] & 15));
	if (data[1] & 1)
		feat |= 1ULL << VIRTIO_F_EVENT_IDX;
	if (data[1] & 2)
		feat |= 1ULL << VIRTIO_F_INDIRECT_DESC;
	desc = 0x40;
	avail = desc + 16ULL * size;
	used = (avail + 6 + 2ULL * size + 3) & ~3ULL;
	if (virtq_init(&vq, &fuzz_mem, size, desc, avail, used, feat) == -1)
		return 0;
	for (i = 0; i < 2 * VIRTQ_MAX_SIZE; i++) {
		r = virtq_pop(&vq, &c);
		if (r != 1)
			break;
		fuzz_check_chain(&c);
		/* A device reads its header and writes its status. */
		(void)virtq_read_buf(&c, 0, tmp, sizeof(tmp));
		(void)virtq_write_buf(&c, c.wlen > 1 ? c.wlen - 1 : 0, tmp, 1);
		virtq_push(&vq, c.head, (uint32_t)c.wlen);
		(void)virtq_need_interrupt(&vq);
	}
	return 0;
}
