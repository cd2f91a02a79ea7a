/* SPDX-License-Identifier: ISC */
/* A VM's lifecycle as one state machine: (state, event) -> state, actions. */
#include <errno.h>
#include <string.h>

#include "vmd/lifecycle.h"

/* One cell of the table: valid, the next state, the actions. */
struct lc_cell {
	int		 valid;
	enum lc_state	 next;
	unsigned int	 actions;
};

#define C(n, a)	{ 1, (n), (a) }
#define ENDED	LC_A_ENDED

/*
 * The whole lifecycle. A cell not written is an event that cannot happen
 * in that state. LC_EV_REBOOT is LC_EV_EXIT unless a restart is allowed
 * (lc_step).
 */
static const struct lc_cell lc_table[LC_NSTATES][LC_NEVENTS] = {
	[LC_STOPPED] = {
		[LC_EV_QUEUED] = C(LC_WAITING, 0),
		[LC_EV_LAUNCHED] = C(LC_STARTING, 0),
		[LC_EV_RESTART_FAILED] = C(LC_STOPPED, ENDED),
	},
	[LC_WAITING] = {
		[LC_EV_QUEUED] = C(LC_WAITING, 0),
		[LC_EV_LAUNCHED] = C(LC_STARTING, 0),
	},
	[LC_STARTING] = {
		[LC_EV_STARTED] = C(LC_RUNNING, LC_A_START_OK),
		[LC_EV_START_FAILED] = C(LC_ABORTING,
		    LC_A_START_ERR | LC_A_SIGKILL),
		[LC_EV_START_TIMEOUT] = C(LC_ABORTING, LC_A_SIGKILL),
		[LC_EV_STOP] = C(LC_STOPPING, LC_A_SIGTERM | LC_A_STOP_TIMER),
		[LC_EV_FORCE] = C(LC_KILLING, LC_A_SIGKILL),
		[LC_EV_EXIT] = C(LC_STOPPED, ENDED),
		[LC_EV_REBOOT] = C(LC_STOPPED, ENDED),
	},
	[LC_ABORTING] = {
		[LC_EV_STARTED] = C(LC_ABORTING, 0),
		[LC_EV_START_FAILED] = C(LC_ABORTING, 0),
		[LC_EV_STOP] = C(LC_ABORTING, 0),
		[LC_EV_FORCE] = C(LC_KILLING, LC_A_SIGKILL),
		[LC_EV_STOP_TIMEOUT] = C(LC_KILLING, LC_A_SIGKILL),
		[LC_EV_EXIT] = C(LC_STOPPED, ENDED),
		[LC_EV_REBOOT] = C(LC_STOPPED, ENDED),
	},
	[LC_RUNNING] = {
		[LC_EV_STOP] = C(LC_STOPPING, LC_A_SIGTERM | LC_A_STOP_TIMER),
		[LC_EV_FORCE] = C(LC_KILLING, LC_A_SIGKILL),
		[LC_EV_PAUSED] = C(LC_PAUSED, 0),
		[LC_EV_UNPAUSED] = C(LC_RUNNING, 0),
		[LC_EV_EXIT] = C(LC_STOPPED, ENDED),
		[LC_EV_REBOOT] = C(LC_STOPPED, LC_A_RESTART),
	},
	[LC_PAUSED] = {
		[LC_EV_STOP] = C(LC_STOPPING, LC_A_UNPAUSE | LC_A_SIGTERM |
		    LC_A_STOP_TIMER),
		[LC_EV_FORCE] = C(LC_KILLING, LC_A_SIGKILL),
		[LC_EV_PAUSED] = C(LC_PAUSED, 0),
		[LC_EV_UNPAUSED] = C(LC_RUNNING, 0),
		[LC_EV_EXIT] = C(LC_STOPPED, ENDED),
		[LC_EV_REBOOT] = C(LC_STOPPED, ENDED),
	},
	[LC_STOPPING] = {
		[LC_EV_STARTED] = C(LC_STOPPING, LC_A_START_OK),
		[LC_EV_START_FAILED] = C(LC_ABORTING,
		    LC_A_START_ERR | LC_A_SIGKILL),
		[LC_EV_START_TIMEOUT] = C(LC_ABORTING, LC_A_SIGKILL),
		[LC_EV_STOP] = C(LC_STOPPING, 0),
		[LC_EV_FORCE] = C(LC_KILLING, LC_A_SIGKILL),
		[LC_EV_STOP_TIMEOUT] = C(LC_KILLING, LC_A_SIGKILL),
		[LC_EV_PAUSED] = C(LC_STOPPING, 0),
		[LC_EV_UNPAUSED] = C(LC_STOPPING, 0),
		[LC_EV_EXIT] = C(LC_STOPPED, ENDED),
		[LC_EV_REBOOT] = C(LC_STOPPED, ENDED),
	},
	[LC_KILLING] = {
		[LC_EV_STARTED] = C(LC_KILLING, LC_A_START_OK),
		[LC_EV_START_FAILED] = C(LC_KILLING, 0),
		[LC_EV_START_TIMEOUT] = C(LC_KILLING, 0),
		[LC_EV_STOP] = C(LC_KILLING, 0),
		[LC_EV_FORCE] = C(LC_KILLING, LC_A_SIGKILL),
		[LC_EV_STOP_TIMEOUT] = C(LC_KILLING, 0),
		[LC_EV_PAUSED] = C(LC_KILLING, 0),
		[LC_EV_UNPAUSED] = C(LC_KILLING, 0),
		[LC_EV_EXIT] = C(LC_STOPPED, ENDED),
		[LC_EV_REBOOT] = C(LC_STOPPED, ENDED),
	},
};

int
lc_step(enum lc_state state, enum lc_event event, int restart_ok,
    struct lc_step *step)
{
	const struct lc_cell	*c;

	if ((unsigned int)state >= LC_NSTATES ||
	    (unsigned int)event >= LC_NEVENTS) {
		errno = EINVAL;
		return -1;
	}
	c = &lc_table[state][event];
	if (!c->valid) {
		errno = EINVAL;
		return -1;
	}
	step->next = c->next;
	step->actions = c->actions;
	/* A reboot that may not restart is an exit. */
	if ((step->actions & LC_A_RESTART) && !restart_ok)
		step->actions = (step->actions & ~LC_A_RESTART) | ENDED;
	return 0;
}

enum proto_vmstate
lc_display(enum lc_state state)
{
	switch (state) {
	case LC_WAITING:
		return PROTO_VMSTATE_WAITING;
	case LC_STARTING:
	case LC_ABORTING:
		return PROTO_VMSTATE_STARTING;
	case LC_RUNNING:
		return PROTO_VMSTATE_RUNNING;
	case LC_PAUSED:
		return PROTO_VMSTATE_PAUSED;
	case LC_STOPPING:
	case LC_KILLING:
		return PROTO_VMSTATE_STOPPING;
	default:
		return PROTO_VMSTATE_STOPPED;
	}
}

int
lc_live(enum lc_state state)
{
	return state != LC_STOPPED && state != LC_WAITING;
}

const char *
lc_state_name(enum lc_state state)
{
	static const char *const names[LC_NSTATES] = {
		"stopped", "waiting", "starting", "aborting", "running",
		"paused", "stopping", "killing"
	};

	return (unsigned int)state < LC_NSTATES ? names[state] : "?";
}

const char *
lc_event_name(enum lc_event event)
{
	static const char *const names[LC_NEVENTS] = {
		"queued", "launched", "started", "start-failed",
		"start-timeout", "stop", "force", "stop-timeout", "paused",
		"unpaused", "exit", "reboot", "restart-failed"
	};

	return (unsigned int)event < LC_NEVENTS ? names[event] : "?";
}
