/* SPDX-License-Identifier: ISC */
/* local nat: masquerading the local prefixes in an nftables table vmd owns. */
#ifndef VMD_NAT_H
#define VMD_NAT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define NAT_TABLE	"vmd"		/* the default socket's table inet vmd */
#define NAT_OWNER_MAX	16		/* "vmd" or "vmd-" 8 hex digits, NUL */
#define NAT_RULESET_MAX	1024		/* nat_ruleset's longest text */

/*
 * nat_owner: the name under which the daemon on control socket sockpath
 * creates host objects: NAT_TABLE ("vmd") for the default socket
 * (VMD_SOCKET), else "vmd-" and the 32-bit FNV-1a hash of the path in 8
 * hex digits (stable across restarts, distinct per socket). priv names its
 * nat table after it and tags its bridges "<owner>-switch <name>", so
 * two daemons on one host never remove each other's. 0, or -1 with errno
 * ENOSPC (len < NAT_OWNER_MAX).
 */
int	nat_owner(const char *sockpath, char *buf, size_t len);

struct nft_ctx;

/*
 * libnftables, loaded at run time by the one process that uses it (priv),
 * so VM processes and the rest of vmd never map it or its dependencies.
 * Filled by nat_open before chroot; read-only afterwards.
 */
struct nat_lib {
	char		  table[NAT_OWNER_MAX];	/* table inet <table> */
	void		 *handle;
	struct nft_ctx	*(*ctx_new)(uint32_t);
	void		 (*ctx_free)(struct nft_ctx *);
	int		 (*buffer_output)(struct nft_ctx *);
	int		 (*buffer_error)(struct nft_ctx *);
	const char	*(*get_error_buffer)(struct nft_ctx *);
	const char	*(*get_output_buffer)(struct nft_ctx *);
	int		 (*run_cmd)(struct nft_ctx *, const char *);
};

/*
 * nat_open: dlopen libnftables (before chroot), for the table of the
 * daemon on control socket sockpath (named by nat_owner, kept in
 * lib->table even if loading fails). 0, or -1 (logged).
 */
int	nat_open(struct nat_lib *, const char *sockpath);

/*
 * The prefixes to masquerade: traffic from a local prefix to anywhere
 * outside it leaves with the host's address. prefix6len 0: no IPv6.
 */
struct nat_prefixes {
	struct in_addr	 prefix;	/* network order */
	int		 prefixlen;	/* 1-32 */
	struct in6_addr	 prefix6;
	int		 prefix6len;	/* 0 (none) or 1-128 */
};

/*
 * nat_ruleset: the nftables text that replaces table inet <table> with the
 * masquerade rules for p, in one transaction (a name from nat_owner and
 * addresses formatted here: nothing from outside reaches the text). 0, or
 * -1 with errno EINVAL (bad length or table name) or ENOSPC.
 */
int	nat_ruleset(const char *table, const struct nat_prefixes *p,
	    char *buf, size_t len);

/*
 * nat_set: install nat_ruleset(p) atomically through libnftables (priv,
 * at start with local nat and after each reload). 0, or -1 with errno,
 * logging nft's message.
 */
int	nat_set(const struct nat_lib *, const struct nat_prefixes *p);

/*
 * nat_clear: remove our table if it exists: at start (what a killed vmd
 * on the same socket left), at exit, on reset and when local nat is turned
 * off. Other daemons' tables are never touched. 0 or -1.
 */
int	nat_clear(const struct nat_lib *);

/*
 * nat_others: whether another vmd's nat table (a name nat_owner could
 * give, other than ours) exists, so forwarding must stay on for it.
 * 1 yes, 0 no, -1 (logged) if nftables cannot tell.
 */
int	nat_others(const struct nat_lib *);

/*
 * nat_forwarding_open: open the sysctl that lets IPv4 (af AF_INET) or IPv6
 * (AF_INET6) forward, for priv to call before it chroots. fd or -1.
 * nat_forwarding_set: write on (0/1) to it; the previous value goes to
 * *was if not NULL, so it can be put back at exit. 0 or -1.
 */
int	nat_forwarding_open(int af);
int	nat_forwarding_set(int fd, int on, int *was);

#endif /* VMD_NAT_H */
