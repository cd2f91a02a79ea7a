/* SPDX-License-Identifier: ISC */
/* parent: host networking of a VM and its switches, one priv request each. */
#include <string.h>

#include "lib/localaddr.h"
#include "log.h"
#include "vmd/netif.h"
#include "vmd/parent.h"

void
netcfg_if(struct parent *p, uint32_t type, const char *name,
    const char *bridge, const char *descr, uint32_t value)
{
	struct proto_ifreq	r;
	uint8_t			buf[sizeof(r)];
	int			len;

	memset(&r, 0, sizeof(r));
	strlcpy(r.name, name != NULL ? name : "", sizeof(r.name));
	strlcpy(r.bridge, bridge != NULL ? bridge : "", sizeof(r.bridge));
	strlcpy(r.descr, descr != NULL ? descr : "", sizeof(r.descr));
	r.value = value;
	if ((len = proto_ifreq_encode(&r, buf)) != -1)
		(void)proc_send(&p->priv, type, 0, buf, (size_t)len, -1);
}

/* netcfg_switches: switches (bridges) and local nat, after a load. */
void
netcfg_switches(struct parent *p)
{
	struct config_switch	*sw;
	struct proto_ifreq	 r;
	uint8_t			 buf[sizeof(r)];
	int			 len;

	TAILQ_FOREACH(sw, &p->conf->switches, entry) {
		if (sw->disabled)
			continue;
		netcfg_if(p, IMSG_PRIV_SWITCH_REQ, NULL, sw->ifname,
		    sw->name, sw->updown != CONFIG_UPDOWN_DOWN);
		if (sw->group[0] != '\0')
			netcfg_if(p, IMSG_PRIV_IFGROUP_REQ, sw->ifname,
			    NULL, NULL, sw->group_id);
	}
	/* Without local nat, prefix length 0 turns it off (a reload). */
	memset(&r, 0, sizeof(r));
	memcpy(r.addr, &p->conf->local_prefix, 4);
	r.value = p->conf->local_nat ? (uint32_t)p->conf->local_prefixlen : 0;
	if (p->conf->local_nat && p->conf->local_inet6) {
		memcpy(r.addr6, &p->conf->local_prefix6, 16);
		r.value6 = (uint32_t)p->conf->local_prefix6len;
	}
	if ((len = proto_ifreq_encode(&r, buf)) != -1)
		(void)proc_send(&p->priv, IMSG_PRIV_NAT_REQ, 0, buf,
		    (size_t)len, -1);
}

/*
 * netcfg_nic: configure tap ifname, NIC i of vm, through priv:
 * description, switch, group, local addresses, up/down. For a local NIC
 * f gets the guest's /31 and the tap's MAC for the DHCP server.
 */
void
netcfg_nic(struct parent *p, struct parent_vm *vm, size_t i,
    const char *ifname, int fd, struct proto_fdreq *f)
{
	const struct config_nic	*nic = i < vm->conf.nnics ?
				    &vm->conf.nics[i] : NULL;
	struct config_switch	*sw = NULL;
	struct in_addr		 host, guest;
	struct in6_addr		 host6;
	struct proto_ifreq	 r;
	uint8_t			 buf[sizeof(r)];
	char			 descr[PROTO_IFDESCR_MAX];
	int			 len, up = 1;

	snprintf(descr, sizeof(descr), "vm%u-if%zu-%s", vm->id, i,
	    vm->conf.name);
	netcfg_if(p, IMSG_PRIV_IFDESCR_REQ, ifname, NULL, descr, 0);
	if (nic != NULL && nic->switchname[0] != '\0') {
		sw = config_switch_find(p->conf, nic->switchname);
		if (sw == NULL || sw->disabled)
			log_warnx("vm %s: interface %zu: switch %s is not "
			    "configured", vm->conf.name, i, nic->switchname);
		else {
			netcfg_if(p, IMSG_PRIV_IFBRADD_REQ, ifname,
			    sw->ifname, NULL, 0);
			if (sw->locked)
				f->locked = 1;
			if (sw->updown == CONFIG_UPDOWN_DOWN)
				up = 0;
		}
	}
	if (nic != NULL && nic->group[0] != '\0')
		netcfg_if(p, IMSG_PRIV_IFGROUP_REQ, ifname, NULL, NULL,
		    nic->group_id);
	else if (sw != NULL && !sw->disabled && sw->group[0] != '\0')
		netcfg_if(p, IMSG_PRIV_IFGROUP_REQ, ifname, NULL, NULL,
		    sw->group_id);
	if (nic != NULL && nic->updown != CONFIG_UPDOWN_UNSET)
		up = nic->updown == CONFIG_UPDOWN_UP;
	if (nic != NULL && nic->local) {
		if (localaddr_inet(p->conf->local_prefix,
		    p->conf->local_prefixlen, vm->id, (unsigned int)i, &host,
		    &guest) == -1)
			log_warn("vm %s: interface %zu: local address",
			    vm->conf.name, i);
		else {
			f->local = 1;
			f->host = host.s_addr;
			f->guest = guest.s_addr;
			if (netif_tap_lladdr(fd, f->server_mac) == -1)
				memset(f->server_mac, 0, 6);
			memset(&r, 0, sizeof(r));
			strlcpy(r.name, ifname, sizeof(r.name));
			memcpy(r.addr, &host, 4);
			r.value = LOCALADDR_PREFIXLEN;
			if (p->conf->local_inet6 &&
			    localaddr_inet6(&p->conf->local_prefix6,
			    p->conf->local_prefix6len, guest, &host6,
			    NULL) == 0) {
				memcpy(r.addr6, &host6, 16);
				r.value6 = LOCALADDR_PREFIXLEN6;
			}
			if ((len = proto_ifreq_encode(&r, buf)) != -1) {
				(void)proc_send(&p->priv, IMSG_PRIV_IFADDR_REQ,
				    0, buf, (size_t)len, -1);
				r.value = r.value6;
				if (r.value6 != 0 &&
				    (len = proto_ifreq_encode(&r, buf)) != -1)
					(void)proc_send(&p->priv,
					    IMSG_PRIV_IFADDR6_REQ, 0, buf,
					    (size_t)len, -1);
			}
		}
	}
	netcfg_if(p, IMSG_PRIV_IFUP_REQ, ifname, NULL, NULL,
	    (uint32_t)up);
}
