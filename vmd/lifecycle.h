/* SPDX-License-Identifier: ISC */
/* A VM's lifecycle as one state machine: (state, event) -> state, actions. */
#ifndef VMD_LIFECYCLE_H
#define VMD_LIFECYCLE_H

#include "proto.h"

/* Where a VM is in its life (the parent's view). */
enum lc_state {
	LC_STOPPED,		/* no process */
	LC_WAITING,		/* to be started by the staggered start */
	LC_STARTING,		/* its process runs, no start report yet */
	LC_ABORTING,		/* a failed start: killed, its exit answers */
	LC_RUNNING,
	LC_PAUSED,
	LC_STOPPING,		/* power button pressed, timeout armed */
	LC_KILLING,		/* SIGKILL sent */
	LC_NSTATES
};

/* What happens to it. */
enum lc_event {
	LC_EV_QUEUED,		/* left for the staggered start */
	LC_EV_LAUNCHED,		/* its process was started */
	LC_EV_STARTED,		/* the process reports the guest runs */
	LC_EV_START_FAILED,	/* it reports it could not, or the launch
				   broke half-way */
	LC_EV_START_TIMEOUT,	/* no report in time */
	LC_EV_STOP,		/* a polite stop (vmctl stop) */
	LC_EV_FORCE,		/* a forced stop (stop -f, reset, kill) */
	LC_EV_STOP_TIMEOUT,	/* the polite stop took too long */
	LC_EV_PAUSED,		/* the guest is paused */
	LC_EV_UNPAUSED,		/* and runs again */
	LC_EV_EXIT,		/* its process ended: power-off, error, -9 */
	LC_EV_REBOOT,		/* its process ended for a guest reboot */
	LC_EV_RESTART_FAILED,	/* the restart after a reboot was refused */
	LC_NEVENTS
};

/* What the caller does, in this order. */
#define LC_A_UNPAUSE	0x0001	/* a paused guest must run to hear the
				   power button */
#define LC_A_SIGTERM	0x0002	/* its process presses the power button */
#define LC_A_SIGKILL	0x0004
#define LC_A_STOP_TIMER	0x0008	/* arm the polite stop's timeout */
#define LC_A_START_OK	0x0010	/* answer the start: running */
#define LC_A_START_ERR	0x0020	/* answer the start with its error */
#define LC_A_RESTART	0x0040	/* start it again (then LC_EV_LAUNCHED, or
				   LC_EV_RESTART_FAILED) */
#define LC_A_ENDED	0x0080	/* it is over: timers, console, waiters,
				   pending answers, next configuration,
				   forget it if it was ad hoc */

/* One step: the next state and the actions. */
struct lc_step {
	enum lc_state	next;
	unsigned int	actions;
};

/*
 * lc_step: what event does in state. restart_ok says whether a guest
 * reboot may start the VM again (vmd not quitting, the VM not being
 * removed, its restart rate not exceeded: the caller knows). 0, or -1
 * with EINVAL for an event that cannot happen in that state (the caller
 * ignores it: a late or stale report).
 */
int	lc_step(enum lc_state state, enum lc_event event, int restart_ok,
	    struct lc_step *step);

/* lc_display: the state vmctl status shows. */
enum proto_vmstate lc_display(enum lc_state);

/* lc_live: whether the state has a process (started and not reaped). */
int	lc_live(enum lc_state);

/* lc_state_name, lc_event_name: for logs and tests. */
const char *lc_state_name(enum lc_state);
const char *lc_event_name(enum lc_event);

#endif /* VMD_LIFECYCLE_H */
