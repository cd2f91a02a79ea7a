/* SPDX-License-Identifier: ISC */
/* The virtio-net unit tests' Ethernet frame (broadcast, IPv4 type). */
#ifndef UNIT_VM_VIRTIO_NETFRAME_H
#define UNIT_VM_VIRTIO_NETFRAME_H

#include <stdint.h>
#include <string.h>

/* nf_frame: len bytes from src to everyone, the payload all fill. */
static size_t __attribute__((unused))
nf_frame(uint8_t *f, const uint8_t *src, uint8_t fill, size_t len)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(f + 14, fill, len - 14);
	return len;
}

#endif
