/* SPDX-License-Identifier: ISC */
/* Parent: loading the configuration: vm.conf, reload, the staggered start. */
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>

#include "log.h"
#include "vmd/parent.h"

static void
reload_socket_owner(struct parent *p)
{
	const struct config_owner	*o = &p->conf->socket_owner;
	uid_t				 uid = o->uid == (uid_t)-1 ? 0 : o->uid;
	gid_t				 gid = o->gid == (gid_t)-1 ? 0 : o->gid;

	if (chown(p->opts->sockpath, uid, gid) == -1)
		log_warn("%s: chown %s", __func__, p->opts->sockpath);
}

/*
 * reload_add: register conf's VMs that are not known yet and queue
 * the enabled ones. Takes conf over.
 */
void
reload_add(struct parent *p, struct vmd_config *conf, int global)
{
	struct config_vm	*c;
	struct config_switch	*sw;
	struct parent_vm	*vm;

	TAILQ_FOREACH(c, &conf->vms, entry) {
		if ((vm = vms_find(p, 0, c->name)) != NULL) {
			/* A running VM takes its new settings when it stops. */
			if (global && vms_running(vm) &&
			    vm->from_config) {
				free(vm->next_conf);
				if ((vm->next_conf = malloc(sizeof(*c))) != NULL)
					*vm->next_conf = *c;
			} else
				log_warnx("vm %s is already defined, skipped",
				    c->name);
			continue;
		}
		if ((vm = vms_new(p, c, 1, 0)) == NULL)
			continue;
		if (!c->disabled)
			vms_event(p, vm, LC_EV_QUEUED);
	}
	if (global) {
		config_free(p->conf);
		p->conf = conf;
		reload_socket_owner(p);
	} else {
		/* vmctl load: the file's switches join the ones vmd has. */
		while ((sw = TAILQ_FIRST(&conf->switches)) != NULL) {
			TAILQ_REMOVE(&conf->switches, sw, entry);
			if (config_switch_add(p->conf, sw) != NULL) {
				log_warnx("switch %s is already defined, "
				    "skipped", sw->name);
				free(sw);
			}
		}
		config_free(conf);
	}
	netcfg_switches(p);
	reload_stagger(p);
}

void
reload_stagger_timer(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	reload_stagger(arg);
}

/*
 * reload_stagger: start waiting VMs, `parallel` at a time, then wait
 * `delay` seconds before the next batch (staggered start).
 */
void
reload_stagger(struct parent *p)
{
	struct parent_vm	*vm;
	struct timeval		 tv;
	unsigned int		 n = 0, max;
	long			 ncpu;

	if (p->quitting || evtimer_pending(p->ev_stagger, NULL))
		return;
	max = p->conf->stagger_parallel;
	if (max == 0)
		max = (ncpu = sysconf(_SC_NPROCESSORS_ONLN)) > 0 ?
		    (unsigned int)ncpu : 1;
	TAILQ_FOREACH(vm, &p->vms, entry) {
		if (vm->state != LC_WAITING)
			continue;
		if (n++ == max) {
			tv.tv_sec = p->conf->stagger_delay;
			tv.tv_usec = 0;
			evtimer_add(p->ev_stagger, &tv);
			return;
		}
		vm->state = LC_STOPPED;
		start_for(p, vm, 0, 0);
	}
}

struct vmd_config *
reload_parse(struct parent *p, const char *file)
{
	struct vmd_config	*conf;
	int			 errors = 0, flags = 0;

	if (file == NULL) {
		file = p->opts->conffile;
		if (file == NULL)
			flags = CONFIG_F_MISSING_OK;
	}
	if ((conf = config_parse(file, &p->opts->macros, flags,
	    &errors)) == NULL)
		log_warnx("%s: %s: %d errors", __func__,
		    file ? file : CONFIG_DEFAULT_FILE, errors);
	return conf;
}

/* reload_config: drop what is not running, re-read the default file. */
int
reload_config(struct parent *p)
{
	struct vmd_config	*conf;
	struct parent_vm	*vm, *next;

	if ((conf = reload_parse(p, NULL)) == NULL)
		return PROTO_ECONFIG;
	for (vm = TAILQ_FIRST(&p->vms); vm != NULL; vm = next) {
		next = TAILQ_NEXT(vm, entry);
		if (!vms_running(vm))
			vms_free(p, vm);
		else if (vm->from_config &&
		    config_vm_find(conf, vm->conf.name) == NULL)
			vm->from_config = 0;	/* forgotten when it stops */
	}
	log_info("configuration reloaded");
	reload_add(p, conf, 1);
	return 0;
}
