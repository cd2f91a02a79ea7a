/* SPDX-License-Identifier: ISC */
/* local nat: masquerading the local prefixes in an nftables table vmd owns. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vmd/nat.h"

/*
 * Why libnftables rather than exec'ing nft(8): priv is chrooted to an
 * empty directory, where there is no nft to exec; the library speaks
 * netlink from inside the chroot, applies a text ruleset as one atomic
 * transaction (as nft -f would) and hands back nft's error message.
 */

#define NAT_FWD4	"/proc/sys/net/ipv4/ip_forward"
#define NAT_FWD6	"/proc/sys/net/ipv6/conf/all/forwarding"

/* Create then delete: deleting a table that is absent is no error. */
#define NAT_DROP_TABLE \
	"add table inet " NAT_TABLE "\ndelete table inet " NAT_TABLE "\n"

int
nat_ruleset(const struct nat_prefixes *p, char *buf, size_t len)
{
	char		 a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	char		 rule6[2 * INET6_ADDRSTRLEN + 64] = "";
	struct in_addr	 net;
	struct in6_addr	 net6;
	uint32_t	 mask;
	int		 i, n;

	if (p->prefixlen < 1 || p->prefixlen > 32 || p->prefix6len < 0 ||
	    p->prefix6len > 128) {
		errno = EINVAL;
		return -1;
	}
	mask = ~UINT32_C(0) << (32 - p->prefixlen);
	net.s_addr = htonl(ntohl(p->prefix.s_addr) & mask);
	inet_ntop(AF_INET, &net, a4, sizeof(a4));
	if (p->prefix6len > 0) {
		memset(&net6, 0, sizeof(net6));
		for (i = 0; i < p->prefix6len / 8; i++)
			net6.s6_addr[i] = p->prefix6.s6_addr[i];
		if (p->prefix6len % 8)
			net6.s6_addr[i] = p->prefix6.s6_addr[i] &
			    (uint8_t)(0xff << (8 - p->prefix6len % 8));
		inet_ntop(AF_INET6, &net6, a6, sizeof(a6));
		snprintf(rule6, sizeof(rule6),
		    "\t\tip6 saddr %s/%d ip6 daddr != %s/%d masquerade\n",
		    a6, p->prefix6len, a6, p->prefix6len);
	}
	n = snprintf(buf, len, NAT_DROP_TABLE
	    "table inet " NAT_TABLE " {\n"
	    "\tcomment \"vmd local nat; vmd removes it\"\n"
	    "\tchain postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\tip saddr %s/%d ip daddr != %s/%d masquerade\n"
	    "%s"
	    "\t}\n"
	    "}\n",
	    a4, p->prefixlen, a4, p->prefixlen, rule6);
	if (n < 0 || (size_t)n >= len) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
nat_open(struct nat_lib *lib)
{
	memset(lib, 0, sizeof(*lib));
	if ((lib->handle = dlopen("libnftables.so.1", RTLD_NOW)) == NULL) {
		log_warnx("%s: %s", __func__, dlerror());
		return -1;
	}
	/* POSIX: a function pointer may travel through dlsym's void *. */
	*(void **)&lib->ctx_new = dlsym(lib->handle, "nft_ctx_new");
	*(void **)&lib->ctx_free = dlsym(lib->handle, "nft_ctx_free");
	*(void **)&lib->buffer_output = dlsym(lib->handle,
	    "nft_ctx_buffer_output");
	*(void **)&lib->buffer_error = dlsym(lib->handle,
	    "nft_ctx_buffer_error");
	*(void **)&lib->get_error_buffer = dlsym(lib->handle,
	    "nft_ctx_get_error_buffer");
	*(void **)&lib->run_cmd = dlsym(lib->handle,
	    "nft_run_cmd_from_buffer");
	if (lib->ctx_new == NULL || lib->ctx_free == NULL ||
	    lib->buffer_output == NULL || lib->buffer_error == NULL ||
	    lib->get_error_buffer == NULL || lib->run_cmd == NULL) {
		log_warnx("%s: libnftables lacks a function", __func__);
		dlclose(lib->handle);
		memset(lib, 0, sizeof(*lib));
		return -1;
	}
	return 0;
}

/* Run an nftables text in one transaction; log nft's message on failure. */
static int
nat_run(const struct nat_lib *lib, const char *func, const char *text)
{
	struct nft_ctx	*ctx;
	const char	*msg;
	int		 rc;

	if (lib == NULL || lib->handle == NULL) {
		log_warnx("%s: libnftables is not loaded", func);
		errno = ENOTSUP;
		return -1;
	}
	if ((ctx = lib->ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		log_warnx("%s: nft_ctx_new failed", func);
		errno = ENOMEM;
		return -1;
	}
	if (lib->buffer_output(ctx) != 0 || lib->buffer_error(ctx) != 0) {
		lib->ctx_free(ctx);
		log_warnx("%s: nft buffers", func);
		errno = ENOMEM;
		return -1;
	}
	if ((rc = lib->run_cmd(ctx, text)) != 0) {
		msg = lib->get_error_buffer(ctx);
		log_warnx("%s: nftables: %.*s", func,
		    msg != NULL ? (int)strcspn(msg, "\n") : 0,
		    msg != NULL ? msg : "");
	}
	lib->ctx_free(ctx);
	if (rc != 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int
nat_set(const struct nat_lib *lib, const struct nat_prefixes *p)
{
	char	buf[NAT_RULESET_MAX];

	if (nat_ruleset(p, buf, sizeof(buf)) == -1) {
		log_warn("%s", __func__);
		return -1;
	}
	return nat_run(lib, __func__, buf);
}

int
nat_clear(const struct nat_lib *lib)
{
	return nat_run(lib, __func__, NAT_DROP_TABLE);
}

int
nat_forwarding_open(int af)
{
	const char	*path = af == AF_INET6 ? NAT_FWD6 : NAT_FWD4;
	int		 fd;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		log_warn("%s: %s", __func__, path);
	return fd;
}

int
nat_forwarding_set(int fd, int on, int *was)
{
	char	c = '0';

	if (was != NULL) {
		if (pread(fd, &c, 1, 0) != 1) {
			log_warn("%s: read", __func__);
			return -1;
		}
		*was = c != '0';
	}
	if (pwrite(fd, on ? "1\n" : "0\n", 2, 0) != 2) {
		log_warn("%s: write", __func__);
		return -1;
	}
	return 0;
}
