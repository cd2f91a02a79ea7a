/* SPDX-License-Identifier: ISC */
/* Unit tests for vmd/lifecycle.c: the VM lifecycle, as a transition table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helper/tap.h"
#include "vmd/lifecycle.h"

/* One expected step: in state, event (restart allowed?) -> next, actions. */
struct row {
	const char	*what;
	enum lc_state	 state;
	enum lc_event	 event;
	int		 restart_ok;
	enum lc_state	 next;
	unsigned int	 actions;
};

#define KILL	LC_A_SIGKILL
#define TERM	LC_A_SIGTERM
#define TIMER	LC_A_STOP_TIMER
#define ENDED	LC_A_ENDED

static const struct row rows[] = {
	/* start */
	{ "start", LC_STOPPED, LC_EV_LAUNCHED, 1, LC_STARTING, 0 },
	{ "staggered start: queued", LC_STOPPED, LC_EV_QUEUED, 1, LC_WAITING,
	    0 },
	{ "staggered start: its turn", LC_WAITING, LC_EV_LAUNCHED, 1,
	    LC_STARTING, 0 },
	{ "started", LC_STARTING, LC_EV_STARTED, 1, LC_RUNNING,
	    LC_A_START_OK },
	{ "start failed: answered now, killed", LC_STARTING,
	    LC_EV_START_FAILED, 1, LC_ABORTING, LC_A_START_ERR | KILL },
	{ "start timeout: killed, its exit answers", LC_STARTING,
	    LC_EV_START_TIMEOUT, 1, LC_ABORTING, KILL },
	{ "a late report of an aborted start is ignored", LC_ABORTING,
	    LC_EV_STARTED, 1, LC_ABORTING, 0 },
	{ "aborted start ends", LC_ABORTING, LC_EV_EXIT, 1, LC_STOPPED,
	    ENDED },
	{ "process ends while starting", LC_STARTING, LC_EV_EXIT, 1,
	    LC_STOPPED, ENDED },
	/* stop */
	{ "stop: power button, timer", LC_RUNNING, LC_EV_STOP, 1,
	    LC_STOPPING, TERM | TIMER },
	{ "stop of a paused VM unpauses it first", LC_PAUSED, LC_EV_STOP, 1,
	    LC_STOPPING, LC_A_UNPAUSE | TERM | TIMER },
	{ "stop while starting", LC_STARTING, LC_EV_STOP, 1, LC_STOPPING,
	    TERM | TIMER },
	{ "the start report after a stop still answers the start",
	    LC_STOPPING, LC_EV_STARTED, 1, LC_STOPPING, LC_A_START_OK },
	{ "a second polite stop does nothing", LC_STOPPING, LC_EV_STOP, 1,
	    LC_STOPPING, 0 },
	{ "stop timeout: forced", LC_STOPPING, LC_EV_STOP_TIMEOUT, 1,
	    LC_KILLING, KILL },
	{ "forced stop", LC_RUNNING, LC_EV_FORCE, 1, LC_KILLING, KILL },
	{ "forced stop after a polite one", LC_STOPPING, LC_EV_FORCE, 1,
	    LC_KILLING, KILL },
	{ "forced stop while starting", LC_STARTING, LC_EV_FORCE, 1,
	    LC_KILLING, KILL },
	{ "stopped: the guest powered off", LC_STOPPING, LC_EV_EXIT, 1,
	    LC_STOPPED, ENDED },
	{ "stopped by force", LC_KILLING, LC_EV_EXIT, 1, LC_STOPPED, ENDED },
	/* exit, reboot, kill -9 */
	{ "guest powers off", LC_RUNNING, LC_EV_EXIT, 1, LC_STOPPED, ENDED },
	{ "kill -9 of the process (an exit too)", LC_PAUSED, LC_EV_EXIT, 1,
	    LC_STOPPED, ENDED },
	{ "guest reboot: restart", LC_RUNNING, LC_EV_REBOOT, 1, LC_STOPPED,
	    LC_A_RESTART },
	{ "restart relaunched", LC_STOPPED, LC_EV_LAUNCHED, 1, LC_STARTING,
	    0 },
	{ "restart refused (rate limit)", LC_STOPPED, LC_EV_RESTART_FAILED, 1,
	    LC_STOPPED, ENDED },
	{ "reboot while vmd quits or the VM is removed (reset, reload): an "
	    "exit", LC_RUNNING, LC_EV_REBOOT, 0, LC_STOPPED, ENDED },
	{ "reboot during a stop: no restart", LC_STOPPING, LC_EV_REBOOT, 1,
	    LC_STOPPED, ENDED },
	{ "reset: forced", LC_PAUSED, LC_EV_FORCE, 0, LC_KILLING, KILL },
	/* pause */
	{ "pause", LC_RUNNING, LC_EV_PAUSED, 1, LC_PAUSED, 0 },
	{ "unpause", LC_PAUSED, LC_EV_UNPAUSED, 1, LC_RUNNING, 0 },
	{ "a pause answer during a stop keeps stopping", LC_STOPPING,
	    LC_EV_PAUSED, 1, LC_STOPPING, 0 },
};

/* Events that cannot happen in a state: refused with EINVAL. */
static const struct {
	enum lc_state	state;
	enum lc_event	event;
} refused[] = {
	{ LC_STOPPED, LC_EV_STARTED },		/* stale start report */
	{ LC_STOPPED, LC_EV_EXIT },		/* no process */
	{ LC_STOPPED, LC_EV_STOP },
	{ LC_RUNNING, LC_EV_LAUNCHED },		/* one process at a time */
	{ LC_RUNNING, LC_EV_STARTED },		/* reported twice */
	{ LC_STARTING, LC_EV_PAUSED },
	{ LC_WAITING, LC_EV_EXIT },
	{ LC_KILLING, LC_EV_LAUNCHED },
};

int
main(void)
{
	struct lc_step	st;
	size_t		i;
	int		s, e, nvalid = 0, live_ok = 1;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&st, 0, sizeof(st));
		tap_ok(lc_step(rows[i].state, rows[i].event,
		    rows[i].restart_ok, &st) == 0 &&
		    st.next == rows[i].next && st.actions == rows[i].actions,
		    "%s: %s + %s -> %s (got %s, actions 0x%x)", rows[i].what,
		    lc_state_name(rows[i].state),
		    lc_event_name(rows[i].event), lc_state_name(rows[i].next),
		    lc_state_name(st.next), st.actions);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		errno = 0;
		tap_ok(lc_step(refused[i].state, refused[i].event, 1,
		    &st) == -1 && errno == EINVAL, "%s + %s is refused",
		    lc_state_name(refused[i].state),
		    lc_event_name(refused[i].event));
	}
	/*
	 * Every state with a process reaches stopped on exit, with the
	 * end actions; a state's display is one vmctl status knows.
	 */
	for (s = 0; s < LC_NSTATES; s++) {
		if (!lc_live((enum lc_state)s))
			continue;
		if (lc_step((enum lc_state)s, LC_EV_EXIT, 1, &st) == -1 ||
		    st.next != LC_STOPPED || !(st.actions & LC_A_ENDED))
			live_ok = 0;
		for (e = 0; e < LC_NEVENTS; e++)
			if (lc_step((enum lc_state)s, (enum lc_event)e, 1,
			    &st) == 0)
				nvalid++;
	}
	tap_ok(live_ok, "every live state ends in stopped on exit");
	tap_ok(lc_display(LC_ABORTING) == PROTO_VMSTATE_STARTING &&
	    lc_display(LC_KILLING) == PROTO_VMSTATE_STOPPING &&
	    lc_display(LC_WAITING) == PROTO_VMSTATE_WAITING &&
	    lc_display(LC_STOPPED) == PROTO_VMSTATE_STOPPED,
	    "displayed states are vmctl status's");
	tap_ok(lc_step(LC_NSTATES, LC_EV_EXIT, 1, &st) == -1 &&
	    lc_step(LC_RUNNING, LC_NEVENTS, 1, &st) == -1,
	    "out-of-range states and events are refused");
	printf("# %d transitions from live states\n", nvalid);
	return tap_done();
}
