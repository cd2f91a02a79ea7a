/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for vm/net/tapio.c, with the io_uring ring and with system
 * calls (a seqpacket socket stands in for the tap: one frame per read).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "vm/net/tapio.h"

#define FRAMES	40

static void
test_mode(int ring)
{
	const char	*m = ring ? "ring" : "syscalls";
	struct tapio	*t;
	struct iovec	 iov[FRAMES][2];
	uint8_t		 out[FRAMES][100], in[FRAMES][64], hdr[FRAMES][8];
	uint8_t		 got[256];
	int		 res[TAPIO_DEPTH], sv[2], i, n, ok, fl;
	uint64_t	 c0;
	ssize_t		 r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 ||
	    (fl = fcntl(sv[0], F_GETFL)) == -1 ||
	    fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) == -1) {
		tap_ok(0, "%s: socketpair", m);
		return;
	}
	t = tapio_prepare(ring);
	tap_ok(t != NULL && tapio_start(t, sv[0]) == 0, "%s: started", m);
	if (t == NULL)
		return;
	if (ring && !tapio_uring(t))
		printf("# no io_uring here: the ring part ran on system calls\n");
	tap_is(tapio_run(t, res), 0, "%s: nothing queued, nothing done", m);
	tap_is(tapio_calls(t), 0, "%s: and no call made", m);

	/* Writes: FRAMES frames of two pieces each, in order. */
	for (i = 0, ok = 0; i < FRAMES; i++) {
		memset(out[i], i, sizeof(out[i]));
		iov[i][0].iov_base = out[i];
		iov[i][0].iov_len = 14;
		iov[i][1].iov_base = out[i] + 14;
		iov[i][1].iov_len = (size_t)(20 + i);
		ok += tapio_write(t, iov[i], 2) == 0;
	}
	tap_is(ok, FRAMES, "%s: %d writes queued", m, FRAMES);
	n = tapio_run(t, res);
	tap_is(n, FRAMES, "%s: %d writes done", m, FRAMES);
	for (i = 0, ok = 1; i < FRAMES; i++) {
		ok &= res[i] == 34 + i;
		r = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
		ok &= r == 34 + i && got[0] == i && got[33 + i] == i;
	}
	tap_ok(ok, "%s: every frame out whole, in order", m);
	if (tapio_uring(t))
		tap_is(tapio_calls(t), 1, "ring: one call for %d frames",
		    FRAMES);
	else
		tap_is(tapio_calls(t), FRAMES, "syscalls: one call a frame");

	/* Reads: 3 frames waiting, 6 reads queued. */
	for (i = 0; i < 3; i++) {
		memset(got, 0xa0 + i, 50);
		(void)send(sv[1], got, (size_t)(40 + i), 0);
	}
	for (i = 0; i < 6; i++) {
		memset(in[i], 0, sizeof(in[i]));
		iov[i][0].iov_base = hdr[i];
		iov[i][0].iov_len = sizeof(hdr[i]);
		iov[i][1].iov_base = in[i];
		iov[i][1].iov_len = sizeof(in[i]);
		(void)tapio_read(t, iov[i], 2);
	}
	c0 = tapio_calls(t);
	n = tapio_run(t, res);
	tap_is(n, 6, "%s: 6 reads done", m);
	tap_ok(res[0] == 40 && res[1] == 41 && res[2] == 42,
	    "%s: the 3 frames read, in order (%d %d %d)", m, res[0], res[1],
	    res[2]);
	tap_ok(hdr[0][0] == 0xa0 && in[0][31] == 0xa0 && in[2][33] == 0xa2,
	    "%s: bytes across the pieces", m);
	tap_ok(res[3] == -EAGAIN, "%s: the 4th found none (%d)", m, res[3]);
	tap_ok((res[4] == -EAGAIN || res[4] == -ECANCELED) &&
	    (res[5] == -EAGAIN || res[5] == -ECANCELED),
	    "%s: so did the rest, or they were not tried", m);
	if (tapio_uring(t))
		tap_is(tapio_calls(t) - c0, 1, "ring: one call for 6 reads");
	else
		tap_is(tapio_calls(t) - c0, 4,
		    "syscalls: 3 reads and the one that found none");

	/* Frames in one piece (a read or write, not readv/writev). */
	for (i = 0; i < 4; i++) {
		memset(out[i], 0xc0 + i, sizeof(out[i]));
		iov[i][0].iov_base = out[i];
		iov[i][0].iov_len = (size_t)(60 + i);
		(void)tapio_write(t, iov[i], 1);
	}
	n = tapio_run(t, res);
	for (i = 0, ok = n == 4; i < 4; i++)
		ok &= res[i] == 60 + i;
	tap_ok(ok, "%s: 4 one-piece writes done", m);
	for (i = 0; i < 5; i++) {
		memset(in[i], 0, sizeof(in[i]));
		iov[i][0].iov_base = in[i];
		iov[i][0].iov_len = sizeof(in[i]);
		(void)tapio_read(t, iov[i], 1);
	}
	/* The socketpair loops nothing back: feed the reads from the peer. */
	for (i = 0; i < 4; i++) {
		r = recv(sv[1], got, sizeof(got), MSG_DONTWAIT);
		(void)send(sv[1], got, r > 0 ? (size_t)r : 0, 0);
	}
	n = tapio_run(t, res);
	for (i = 0, ok = n == 5; i < 4; i++)
		ok &= res[i] == 60 + i && in[i][0] == 0xc0 + i &&
		    in[i][59 + i] == 0xc0 + i;
	tap_ok(ok && res[4] <= 0, "%s: 4 one-piece reads, bytes right, "
	    "then none (%d)", m, res[4]);

	/* Only TAPIO_DEPTH at a time. */
	for (i = 0, ok = 0; i < TAPIO_DEPTH + 1; i++)
		ok += tapio_write(t, iov[0], 1) == 0;
	tap_ok(ok == TAPIO_DEPTH && errno == EAGAIN,
	    "%s: %d queued, then EAGAIN", m, TAPIO_DEPTH);
	tap_is(tapio_run(t, res), TAPIO_DEPTH, "%s: all of them done", m);
	while (recv(sv[1], got, sizeof(got), MSG_DONTWAIT) > 0)
		;

	/* The peer gone: writes fail, reads see the end. */
	close(sv[1]);
	(void)tapio_write(t, iov[0], 1);
	(void)tapio_read(t, iov[1], 2);
	n = tapio_run(t, res);
	tap_ok(n == 2 && res[0] < 0 && res[1] <= 0,
	    "%s: peer gone: write %d, read %d", m, res[0], res[1]);
	tapio_free(t);
	close(sv[0]);
}

int
main(void)
{
	struct tapio	*t;

	test_mode(1);
	test_mode(0);
	setenv("VMD_NO_IO_URING", "1", 1);
	t = tapio_prepare(1);
	tap_ok(t != NULL && tapio_start(t, 0) == 0 && !tapio_uring(t),
	    "VMD_NO_IO_URING: system calls");
	tapio_free(t);
	return tap_done();
}
