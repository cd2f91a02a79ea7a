/* SPDX-License-Identifier: ISC */
/* Message framing between processes: header, bounded payload, one fd. */
#ifndef LIB_IMSG_H
#define LIB_IMSG_H

#include <stddef.h>
#include <stdint.h>

#define IMSG_MAX_PAYLOAD	16384
#define IMSG_F_HASFD		0x1

/* On the wire, in host byte order (peers share a host). */
struct imsg_hdr {
	uint32_t	type;
	uint32_t	len;		/* payload bytes */
	uint32_t	peerid;
	uint32_t	pid;
	uint32_t	flags;
};

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 unless IMSG_F_HASFD */
	uint8_t		 data[IMSG_MAX_PAYLOAD];
};

/*
 * Messages travel on SOCK_SEQPACKET unix sockets, one message per packet,
 * so boundaries are kept by the kernel.
 * imsg_send: send type with len payload bytes and fd (-1 for none).
 * 0, or -1 with errno (EMSGSIZE when len is over the cap).
 */
int	imsg_send(int sock, uint32_t type, uint32_t peerid, const void *data,
	    size_t len, int fd);
/*
 * imsg_recv: receive one message. 1 on a message, 0 on EOF, -1 with errno
 * on error; EBADMSG when the packet is truncated, its length field lies or
 * an fd arrives unannounced (any such fd is closed).
 */
int	imsg_recv(int sock, struct imsg *);

/*
 * imsg_trysend, imsg_tryrecv: the same, but never wait, whatever the
 * socket's mode: -1 with errno EAGAIN when the socket is full (empty).
 */
int	imsg_trysend(int sock, uint32_t type, uint32_t peerid,
	    const void *data, size_t len, int fd);
int	imsg_tryrecv(int sock, struct imsg *);

#endif /* LIB_IMSG_H */
