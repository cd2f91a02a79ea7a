/* SPDX-License-Identifier: ISC */
/*
 * io_uring rings for a sandboxed process: made before its seccomp filter
 * (which refuses io_uring_setup), disabled and restricted to a list of
 * operations, and enabled once the files they serve are ready.
 */
#ifndef VMD_LIB_URING_H
#define VMD_LIB_URING_H

#include <stdint.h>

#include <liburing.h>

/*
 * uring_prepare: a ring of depth entries, disabled, that will take only
 * the nops operations in ops (IORING_OP_*) and no registration once
 * enabled. 0, or -1 with errno: ENOSYS if VMD_NO_IO_URING is set in the
 * environment, else why the kernel refused (io_uring missing or turned
 * off). The caller then does its I/O with plain system calls.
 */
int	uring_prepare(struct io_uring *, unsigned depth, const uint8_t *ops,
	    int nops);
/* uring_enable: start a prepared ring. 0, or -1 with errno. */
int	uring_enable(struct io_uring *);

#endif /* VMD_LIB_URING_H (liburing.h guards with LIB_URING_H) */
