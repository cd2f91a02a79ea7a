/* SPDX-License-Identifier: ISC */
/* local nat: masquerading the local prefixes in an nftables table vmd owns. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vmd/nat.h"
#include "vmd/vmd.h"

/*
 * Why libnftables rather than exec'ing nft(8): priv is chrooted to an
 * empty directory, where there is no nft to exec; the library speaks
 * netlink from inside the chroot, applies a text ruleset as one atomic
 * transaction (as nft -f would) and hands back nft's error message.
 */

#define NAT_FWD4	"/proc/sys/net/ipv4/ip_forward"
#define NAT_FWD6	"/proc/sys/net/ipv6/conf/all/forwarding"

/* Create then delete: deleting a table that is absent is no error. */
#define NAT_DROP_TABLE	"add table inet %s\ndelete table inet %s\n"
#define NAT_OWNER_HEX	8	/* hex digits of the hash in "vmd-%08x" */

int
nat_owner(const char *sockpath, char *buf, size_t len)
{
	const unsigned char	*s;
	uint32_t		 h = 2166136261U;	/* FNV-1a, 32 bits */

	if (len < NAT_OWNER_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (strcmp(sockpath, VMD_SOCKET) == 0) {
		strlcpy(buf, NAT_TABLE, len);
		return 0;
	}
	for (s = (const unsigned char *)sockpath; *s != '\0'; s++) {
		h ^= *s;
		h *= 16777619U;
	}
	snprintf(buf, len, "%s-%0*x", NAT_TABLE, NAT_OWNER_HEX, h);
	return 0;
}

/* A name nat_owner gives: "vmd", or "vmd-" and 8 lowercase hex digits. */
static int
nat_owner_valid(const char *s)
{
	size_t	n = strlen(NAT_TABLE), i;

	if (strncmp(s, NAT_TABLE, n) != 0)
		return 0;
	if (s[n] == '\0')
		return 1;
	if (s[n] != '-' || strlen(s + n + 1) != NAT_OWNER_HEX)
		return 0;
	for (i = n + 1; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

int
nat_ruleset(const char *table, const struct nat_prefixes *p, char *buf,
    size_t len)
{
	char		 a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	char		 rule6[2 * INET6_ADDRSTRLEN + 64] = "";
	struct in_addr	 net;
	struct in6_addr	 net6;
	uint32_t	 mask;
	int		 i, n;

	if (!nat_owner_valid(table) || p->prefixlen < 1 || p->prefixlen > 32 ||
	    p->prefix6len < 0 || p->prefix6len > 128) {
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
	    "table inet %s {\n"
	    "\tcomment \"vmd local nat; vmd removes it\"\n"
	    "\tchain postrouting {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\tip saddr %s/%d ip daddr != %s/%d masquerade\n"
	    "%s"
	    "\t}\n"
	    "}\n",
	    table, table, table, a4, p->prefixlen, a4, p->prefixlen, rule6);
	if (n < 0 || (size_t)n >= len) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
nat_open(struct nat_lib *lib, const char *sockpath)
{
	memset(lib, 0, sizeof(*lib));
	if (nat_owner(sockpath, lib->table, sizeof(lib->table)) == -1) {
		log_warn("%s", __func__);
		return -1;
	}
	log_debug("%s: socket %s: table inet %s", __func__, sockpath,
	    lib->table);
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
	*(void **)&lib->get_output_buffer = dlsym(lib->handle,
	    "nft_ctx_get_output_buffer");
	*(void **)&lib->run_cmd = dlsym(lib->handle,
	    "nft_run_cmd_from_buffer");
	if (lib->ctx_new == NULL || lib->ctx_free == NULL ||
	    lib->buffer_output == NULL || lib->buffer_error == NULL ||
	    lib->get_error_buffer == NULL || lib->get_output_buffer == NULL ||
	    lib->run_cmd == NULL) {
		log_warnx("%s: libnftables lacks a function", __func__);
		dlclose(lib->handle);
		lib->handle = NULL;
		return -1;
	}
	return 0;
}

/*
 * Run an nftables text in one transaction; log nft's message on failure.
 * out (if not NULL, outlen > 0): what nft printed, cut to fit.
 */
static int
nat_run(const struct nat_lib *lib, const char *func, const char *text,
    char *out, size_t outlen)
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
	} else if (out != NULL) {
		msg = lib->get_output_buffer(ctx);
		strlcpy(out, msg != NULL ? msg : "", outlen);
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

	if (nat_ruleset(lib->table, p, buf, sizeof(buf)) == -1) {
		log_warn("%s", __func__);
		return -1;
	}
	return nat_run(lib, __func__, buf, NULL, 0);
}

int
nat_clear(const struct nat_lib *lib)
{
	char	buf[128];

	/* Without libnftables nat_run says so (ENOTSUP). */
	if (lib->handle != NULL && !nat_owner_valid(lib->table)) {
		log_warnx("%s: bad table name", __func__);
		errno = EINVAL;
		return -1;
	}
	snprintf(buf, sizeof(buf), NAT_DROP_TABLE, lib->table, lib->table);
	return nat_run(lib, __func__, buf, NULL, 0);
}

int
nat_others(const struct nat_lib *lib)
{
	char	 out[8192], *line, *next;
	char	 name[NAT_OWNER_MAX + 1];

	if (nat_run(lib, __func__, "list tables inet\n", out,
	    sizeof(out)) == -1)
		return -1;
	/* One "table inet NAME" a line. */
	for (line = out; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (sscanf(line, "table inet %16s", name) != 1 ||
		    strlen(name) >= NAT_OWNER_MAX)
			continue;
		if (nat_owner_valid(name) && strcmp(name, lib->table) != 0)
			return 1;
	}
	return 0;
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
