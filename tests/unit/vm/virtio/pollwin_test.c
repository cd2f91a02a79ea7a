/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for vm/virtio/pollwin.c: the window grows while work comes
 * soon after the thread slept, shrinks while it does not, backs off when
 * the guest kicks at once after the longest window ran out, and stays on
 * when the disk completes just after it.
 */
#include <string.h>

#include "helper/tap.h"
#include "vm/virtio/pollwin.h"

int
main(void)
{
	struct pollwin	w;
	uint64_t	now = 1000000000ULL;
	int		i;

	memset(&w, 0, sizeof(w));
	pollwin_slept(&w, 1000, now, 1);
	tap_is((int)w.ns, (int)POLLWIN_MIN, "work soon after: the window opens");
	for (i = 0; i < 10; i++)
		pollwin_slept(&w, 1000, now, 0);
	tap_is((int)w.ns, (int)POLLWIN_MAX, "and grows to the longest, no "
	    "further");

	/* The disk completes just after the longest window: keep polling. */
	pollwin_slept(&w, 3000, now, 0);
	tap_is((int)w.ns, (int)POLLWIN_MAX, "a completion just after the "
	    "longest window: polling stays on");
	tap_ok(w.off_until == 0, "and no back-off");

	/* The guest kicks just after it: its vCPU waited for the CPU. */
	pollwin_slept(&w, 3000, now, 1);
	tap_ok(w.ns == 0 && w.off_until == now + POLLWIN_BACKOFF,
	    "a kick just after the longest window: polling off for 50 ms");
	pollwin_slept(&w, 1000, now + POLLWIN_BACKOFF - 1, 1);
	tap_is((int)w.ns, 0, "nothing changes it during the back-off");
	pollwin_slept(&w, 1000, now + POLLWIN_BACKOFF, 1);
	tap_is((int)w.ns, (int)POLLWIN_MIN, "after it, the window opens again");

	/* Long sleeps: the device is idle, the window closes. */
	now += 2 * POLLWIN_BACKOFF;
	w.ns = POLLWIN_MAX;
	for (i = 0; i < 3; i++)
		pollwin_slept(&w, 10 * POLLWIN_MAX, now, 1);
	tap_is((int)w.ns, (int)(POLLWIN_MAX / 8), "idle: halved each time");
	for (i = 0; i < 3; i++)
		pollwin_slept(&w, 10 * POLLWIN_MAX, now, 0);
	tap_is((int)w.ns, 0, "and closed below the shortest");
	return tap_done();
}
