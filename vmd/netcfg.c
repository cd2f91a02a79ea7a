/* SPDX-License-Identifier: ISC */
/* parent: host networking of a VM and its switches, one priv request each. */
#include <errno.h>
#include <string.h>

#include "lib/localaddr.h"
#include "log.h"
#include "vmd/netif.h"
#include "vmd/parent.h"

/* netcfg_send: type with payload (len bytes, or -1: it did not encode). */
static void
netcfg_send(struct parent *p, uint32_t type, const uint8_t *buf, int len)
{
	if (len == -1) {
		log_warn("%s: %s", __func__, proto_name(type));
		return;
	}
	(void)proc_send(&p->priv, type, 0, buf, (size_t)len, -1);
}

/*
 * netcfg_if: one of the simple requests to priv, its payload made from
 * the arguments it takes: ifdescr (name, descr), ifup and ifgroup (name,
 * value), ifbradd (name, bridge), switch (bridge, descr = the switch's
 * name, value = up), reset (none).
 */
void
netcfg_if(struct parent *p, uint32_t type, const char *name,
    const char *bridge, const char *descr, uint32_t value)
{
	union {
		struct proto_ifdescr	d;
		struct proto_ifvalue	v;
		struct proto_ifbradd	br;
		struct proto_switch	sw;
	}			r;
	uint8_t			buf[IMSG_MAX_PAYLOAD];
	int			len = -1;

	name = name != NULL ? name : "";
	bridge = bridge != NULL ? bridge : "";
	descr = descr != NULL ? descr : "";
	memset(&r, 0, sizeof(r));
	errno = EINVAL;
	switch (type) {
	case IMSG_PRIV_IFDESCR_REQ:
		if (strlcpy(r.d.name, name, sizeof(r.d.name)) <
		    sizeof(r.d.name) && strlcpy(r.d.descr, descr,
		    sizeof(r.d.descr)) < sizeof(r.d.descr))
			len = proto_ifdescr_encode(&r.d, buf);
		break;
	case IMSG_PRIV_IFUP_REQ:
	case IMSG_PRIV_IFGROUP_REQ:
		r.v.value = value;
		if (strlcpy(r.v.name, name, sizeof(r.v.name)) <
		    sizeof(r.v.name))
			len = proto_ifvalue_encode(&r.v, buf);
		break;
	case IMSG_PRIV_IFBRADD_REQ:
		if (strlcpy(r.br.name, name, sizeof(r.br.name)) <
		    sizeof(r.br.name) && strlcpy(r.br.bridge, bridge,
		    sizeof(r.br.bridge)) < sizeof(r.br.bridge))
			len = proto_ifbradd_encode(&r.br, buf);
		break;
	case IMSG_PRIV_SWITCH_REQ:
		r.sw.up = value != 0;
		if (strlcpy(r.sw.bridge, bridge, sizeof(r.sw.bridge)) <
		    sizeof(r.sw.bridge) && strlcpy(r.sw.name, descr,
		    sizeof(r.sw.name)) < sizeof(r.sw.name))
			len = proto_switch_encode(&r.sw, buf);
		break;
	case IMSG_PRIV_RESET_REQ:
		len = 0;
		break;
	}
	netcfg_send(p, type, buf, len);
}

/* netcfg_switches: switches (bridges) and local nat, after a load. */
void
netcfg_switches(struct parent *p)
{
	struct config_switch	*sw;
	struct proto_nat	 n;
	uint8_t			 buf[IMSG_MAX_PAYLOAD];

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
	memset(&n, 0, sizeof(n));
	if (p->conf->local_nat) {
		n.prefix = p->conf->local_prefix;
		n.prefixlen = (uint32_t)p->conf->local_prefixlen;
		if (p->conf->local_inet6) {
			n.prefix6 = p->conf->local_prefix6;
			n.prefix6len = (uint32_t)p->conf->local_prefix6len;
		}
	}
	netcfg_send(p, IMSG_PRIV_NAT_REQ, buf, proto_nat_encode(&n, buf));
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
	struct proto_ifaddr	 a;
	struct proto_ifaddr6	 a6;
	uint8_t			 buf[IMSG_MAX_PAYLOAD];
	char			 descr[PROTO_IFDESCR_MAX];
	int			 up = 1;

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
			memset(&a, 0, sizeof(a));
			strlcpy(a.name, ifname, sizeof(a.name));
			a.addr = host;
			a.prefixlen = LOCALADDR_PREFIXLEN;
			netcfg_send(p, IMSG_PRIV_IFADDR_REQ, buf,
			    proto_ifaddr_encode(&a, buf));
			if (p->conf->local_inet6 &&
			    localaddr_inet6(&p->conf->local_prefix6,
			    p->conf->local_prefix6len, guest, &host6,
			    NULL) == 0) {
				memset(&a6, 0, sizeof(a6));
				strlcpy(a6.name, ifname, sizeof(a6.name));
				a6.addr = host6;
				a6.prefixlen = LOCALADDR_PREFIXLEN6;
				netcfg_send(p, IMSG_PRIV_IFADDR6_REQ, buf,
				    proto_ifaddr6_encode(&a6, buf));
			}
		}
	}
	netcfg_if(p, IMSG_PRIV_IFUP_REQ, ifname, NULL, NULL,
	    (uint32_t)up);
}
