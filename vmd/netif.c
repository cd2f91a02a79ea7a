/* SPDX-License-Identifier: ISC */
/* Host interface operations for the priv and parent processes: taps, bridges, addresses. */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "vmd/netif.h"

#define NETIF_TUN	"/dev/net/tun"
#define NETIF_BUFSZ	16384	/* one request, or one answer to it */

int
netif_name_valid(const char *s)
{
	size_t	i, n;

	n = strnlen(s, IFNAMSIZ);
	if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static int
netif_check(const char *func, const char *name)
{
	if (name == NULL || !netif_name_valid(name)) {
		log_warnx("%s: invalid interface name", func);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
netif_tap_open(char *name, size_t namelen, int flags)
{
	struct ifreq	 ifr;
	int		 fd, saved;

	memset(&ifr, 0, sizeof(ifr));
	if (name[0] == '\0' || strcmp(name, "tap") == 0)
		strlcpy(ifr.ifr_name, "tap%d", sizeof(ifr.ifr_name));
	else if (netif_check(__func__, name) == -1)
		return -1;
	else
		strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (flags & NETIF_TAP_VNET_HDR)
		ifr.ifr_flags |= IFF_VNET_HDR;
	/* The caller says what failed: vmd's client, or vmctl run's user. */
	if ((fd = open(NETIF_TUN, O_RDWR | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (ioctl(fd, TUNSETIFF, &ifr) == -1)
		goto fail;
	if ((flags & NETIF_TAP_PERSIST) && ioctl(fd, TUNSETPERSIST, 1) == -1)
		goto fail;
	if (strlcpy(name, ifr.ifr_name, namelen) >= namelen) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	return fd;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
netif_tap_lladdr(int fd, uint8_t mac[6])
{
	struct ifreq	ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1) {
		log_warn("%s", __func__);
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/*
 * Send one request and run cb (may be NULL) on each answer until the
 * kernel's acknowledgement. 0, or -1 with errno (the kernel's error).
 */
static int
netif_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	struct mnl_socket	*nl;
	char			*buf;
	unsigned int		 seq, portid;
	ssize_t			 n;
	int			 ret = -1, saved;

	if ((buf = malloc(NETIF_BUFSZ)) == NULL)
		return -1;
	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL) {
		saved = errno;
		free(buf);
		errno = saved;
		return -1;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1)
		goto done;
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		goto done;
	for (;;) {
		if ((n = mnl_socket_recvfrom(nl, buf, NETIF_BUFSZ)) == -1)
			goto done;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, arg);
		if (ret <= MNL_CB_STOP)
			break;
	}
	ret = ret == -1 ? -1 : 0;
 done:
	saved = errno;
	mnl_socket_close(nl);
	free(buf);
	errno = saved;
	return ret;
}

/* A link request for name in buf. */
static struct nlmsghdr *
netif_link_msg(char *buf, uint16_t type, uint16_t flags, const char *name)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifm;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* Send a link request; log failures as func on name. */
static int
netif_link_talk(const char *func, const char *name, struct nlmsghdr *nlh)
{
	if (netif_talk(nlh, NULL, NULL) == -1) {
		log_warn("%s: %s", func, name);
		return -1;
	}
	return 0;
}

static int
netif_info_attr(const struct nlattr *a, void *arg)
{
	struct netif_info	*info = arg;
	const struct nlattr	*n;
	uint16_t		 type = mnl_attr_get_type(a);
	size_t			 len = mnl_attr_get_payload_len(a);

	switch (type) {
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			info->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_GROUP:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			info->group = mnl_attr_get_u32(a);
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			info->master = mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (len == 6)
			memcpy(info->lladdr, mnl_attr_get_payload(a), 6);
		break;
	case IFLA_IFALIAS:
		if (len > 0)
			strlcpy(info->alias, mnl_attr_get_payload(a),
			    len < sizeof(info->alias) ? len + 1 :
			    sizeof(info->alias));
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == -1)
			break;
		mnl_attr_for_each_nested(n, a) {
			len = mnl_attr_get_payload_len(n);
			if (mnl_attr_get_type(n) == IFLA_INFO_KIND && len > 0)
				strlcpy(info->kind, mnl_attr_get_payload(n),
				    len < sizeof(info->kind) ? len + 1 :
				    sizeof(info->kind));
		}
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int
netif_info_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct netif_info	*info = arg;
	struct ifinfomsg	*ifm;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return MNL_CB_OK;
	ifm = mnl_nlmsg_get_payload(nlh);
	info->index = (unsigned int)ifm->ifi_index;
	info->flags = ifm->ifi_flags;
	return mnl_attr_parse(nlh, sizeof(*ifm), netif_info_attr, info);
}

/* netif_info without logging ENODEV: netif_exists asks often. */
static int
netif_info_quiet(const char *name, struct netif_info *info)
{
	char			 buf[NETIF_BUFSZ];
	struct nlmsghdr		*nlh;

	memset(info, 0, sizeof(*info));
	nlh = netif_link_msg(buf, RTM_GETLINK, 0, name);
	if (netif_talk(nlh, netif_info_cb, info) == -1)
		return -1;
	if (info->index == 0) {
		errno = ENODEV;
		return -1;
	}
	return 0;
}

int
netif_info(const char *name, struct netif_info *info)
{
	if (netif_check(__func__, name) == -1)
		return -1;
	if (netif_info_quiet(name, info) == -1) {
		log_warn("%s: %s", __func__, name);
		return -1;
	}
	return 0;
}

int
netif_exists(const char *name)
{
	struct netif_info	info;

	if (netif_check(__func__, name) == -1)
		return -1;
	if (netif_info_quiet(name, &info) == 0)
		return 1;
	if (errno == ENODEV)
		return 0;
	log_warn("%s: %s", __func__, name);
	return -1;
}

int
netif_descr(const char *name, const char *descr)
{
	char		 buf[NETIF_BUFSZ];
	struct nlmsghdr	*nlh;

	if (netif_check(__func__, name) == -1)
		return -1;
	if (strlen(descr) >= NETIF_DESCR_MAX) {
		log_warnx("%s: %s: description too long", __func__, name);
		errno = ENAMETOOLONG;
		return -1;
	}
	nlh = netif_link_msg(buf, RTM_SETLINK, 0, name);
	/* The kernel takes the bytes without the NUL as the alias. */
	mnl_attr_put(nlh, IFLA_IFALIAS, strlen(descr), descr);
	return netif_link_talk(__func__, name, nlh);
}

int
netif_updown(const char *name, int up)
{
	char			 buf[NETIF_BUFSZ];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifm;

	if (netif_check(__func__, name) == -1)
		return -1;
	nlh = netif_link_msg(buf, RTM_SETLINK, 0, name);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_flags = up ? IFF_UP : 0;
	ifm->ifi_change = IFF_UP;
	return netif_link_talk(__func__, name, nlh);
}

/* Set one u32 link attribute. */
static int
netif_link_u32(const char *func, const char *name, uint16_t attr,
    uint32_t v)
{
	char		 buf[NETIF_BUFSZ];
	struct nlmsghdr	*nlh;

	if (netif_check(func, name) == -1)
		return -1;
	nlh = netif_link_msg(buf, RTM_SETLINK, 0, name);
	mnl_attr_put_u32(nlh, attr, v);
	return netif_link_talk(func, name, nlh);
}

int
netif_mtu(const char *name, unsigned int mtu)
{
	return netif_link_u32(__func__, name, IFLA_MTU, mtu);
}

int
netif_group(const char *name, uint32_t group)
{
	return netif_link_u32(__func__, name, IFLA_GROUP, group);
}

int
netif_bridge_create(const char *name)
{
	char		 buf[NETIF_BUFSZ];
	struct nlmsghdr	*nlh;
	struct nlattr	*nest;

	if (netif_check(__func__, name) == -1)
		return -1;
	nlh = netif_link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
	    name);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, nest);
	return netif_link_talk(__func__, name, nlh);
}

int
netif_delete(const char *name)
{
	char		 buf[NETIF_BUFSZ];
	struct nlmsghdr	*nlh;

	if (netif_check(__func__, name) == -1)
		return -1;
	nlh = netif_link_msg(buf, RTM_DELLINK, 0, name);
	return netif_link_talk(__func__, name, nlh);
}

int
netif_bridge_add(const char *bridge, const char *ifname)
{
	struct netif_info	info;

	if (netif_check(__func__, bridge) == -1 ||
	    netif_check(__func__, ifname) == -1)
		return -1;
	if (netif_info(bridge, &info) == -1)
		return -1;
	if (strcmp(info.kind, "bridge") != 0) {
		log_warnx("%s: %s is not a bridge", __func__, bridge);
		errno = EINVAL;
		return -1;
	}
	return netif_link_u32(__func__, ifname, IFLA_MASTER, info.index);
}

int
netif_bridge_del(const char *ifname)
{
	return netif_link_u32(__func__, ifname, IFLA_MASTER, 0);
}

/* Add or remove an address of family af (4 or 16 bytes at addr). */
static int
netif_addr_talk(const char *func, const char *name, int af,
    const void *addr, int prefixlen, int add)
{
	char			 buf[NETIF_BUFSZ];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	unsigned int		 index;
	size_t			 alen = af == AF_INET ? 4 : 16;

	if (netif_check(func, name) == -1)
		return -1;
	if (prefixlen < 0 || (size_t)prefixlen > alen * 8) {
		log_warnx("%s: %s: bad prefix length %d", func, name,
		    prefixlen);
		errno = EINVAL;
		return -1;
	}
	if ((index = if_nametoindex(name)) == 0) {
		log_warn("%s: %s", func, name);
		return -1;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	if (add)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)af;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = index;
	if (af == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	else {
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	return netif_link_talk(func, name, nlh);
}

int
netif_addr(const char *name, struct in_addr addr, int prefixlen, int add)
{
	return netif_addr_talk(__func__, name, AF_INET, &addr, prefixlen,
	    add);
}

int
netif_addr6(const char *name, const struct in6_addr *addr, int prefixlen,
    int add)
{
	return netif_addr_talk(__func__, name, AF_INET6, addr, prefixlen,
	    add);
}

/* A group number: decimal or 0x hex, 0 to 2^32 - 1. 0 or -1. */
static int
netif_group_number(const char *s, uint32_t *out)
{
	unsigned long long	 v;
	char			*end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/*
 * netif_fopen: open path for reading without blocking on a FIFO or a
 * device, and only if it is a regular file (EINVAL otherwise, logged).
 * The FILE, or NULL with errno set.
 */
static FILE *
netif_fopen(const char *path)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC))
	    == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: %s: not a regular file", __func__, path);
		errno = EINVAL;
		goto fail;
	}
	/* O_NONBLOCK stays: it changes nothing for a regular file. */
	if ((fp = fdopen(fd, "r")) == NULL)
		goto fail;
	return fp;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}

int
netif_group_lookup(const char *group, const char *path, uint32_t *out)
{
	FILE		*fp;
	char		*line = NULL, *num, *name, *save;
	size_t		 cap = 0;
	uint32_t	 v;
	int		 found = 0;

	/* Unknown or invalid names are the caller's to report (file:line). */
	if (group[0] == '\0' || strlen(group) >= IFNAMSIZ) {
		errno = EINVAL;
		return -1;
	}
	if (netif_group_number(group, out) == 0)
		return 0;
	if (path == NULL)
		path = NETIF_GROUP_FILE;
	if ((fp = netif_fopen(path)) == NULL) {
		if (errno == EINVAL)
			return -1;
		if (errno != ENOENT) {
			log_warn("%s: %s", __func__, path);
			return -1;
		}
	} else {
		while (!found && getline(&line, &cap, fp) != -1) {
			line[strcspn(line, "#\n")] = '\0';
			if ((num = strtok_r(line, " \t", &save)) == NULL ||
			    (name = strtok_r(NULL, " \t", &save)) == NULL ||
			    strtok_r(NULL, " \t", &save) != NULL)
				continue;
			if (strcmp(name, group) == 0 &&
			    netif_group_number(num, &v) == 0) {
				*out = v;
				found = 1;
			}
		}
		free(line);
		fclose(fp);
	}
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}
