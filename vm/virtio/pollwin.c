/* SPDX-License-Identifier: ISC */
/*
 * The adaptive polling window of a device thread (vm/virtio/blk.c's ring
 * thread). The thread polled its window in vain, slept for slept ns and
 * was woken: by the guest's kick (kick), or by its disk. Had work come
 * within the longest window, a longer one would have caught it: grow
 * (from POLLWIN_MIN, doubling, up to POLLWIN_MAX). Else the device is
 * idle: shrink, down to no polling. One case is neither: the longest
 * window ran out and the guest kicked at once after the thread slept.
 * That is the guest's vCPU waiting for the CPU the spin held (more
 * runnable threads than CPUs): polling then only slows the guest, so it
 * stops for POLLWIN_BACKOFF. A completion that comes just after the
 * longest window is the disk being a little slower than it (O_DIRECT),
 * not a starved vCPU: polling stays on.
 */
#include "vm/virtio/pollwin.h"

void
pollwin_slept(struct pollwin *w, uint64_t slept, uint64_t now, int kick)
{
	if (now < w->off_until)
		return;
	if (kick && w->ns == POLLWIN_MAX && slept < POLLWIN_STARVED) {
		w->ns = 0;
		w->off_until = now + POLLWIN_BACKOFF;
	} else if (slept <= POLLWIN_MAX) {
		w->ns = w->ns == 0 ? POLLWIN_MIN : w->ns * 2;
		if (w->ns > POLLWIN_MAX)
			w->ns = POLLWIN_MAX;
	} else if ((w->ns /= 2) < POLLWIN_MIN)
		w->ns = 0;
}
