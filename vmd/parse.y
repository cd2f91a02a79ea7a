/* SPDX-License-Identifier: ISC */
/* The vm.conf(5) grammar and lexer: text in, struct vmd_config out. */

%{
#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/disk/disk.h"
#include "lib/localaddr.h"
#include "log.h"
#include "util.h"
#include "vmd/config.h"
#include "vmd/netif.h"

#define PARSE_MAX_EXPAND_DEPTH	16	/* macros inside macros */
#define PARSE_UNGET_MAX		8

/* One open file on the include stack. */
struct parse_file {
	FILE		*fp;
	char		*name;
	int		 lineno;
	int		 eof_nl;	/* synthetic newline at EOF given */
	int		 start_nl;	/* give a newline first (include) */
};

/* One macro: from the file, or from -D (which the file cannot override). */
struct parse_macro {
	char		*name;
	char		*value;
	int		 used;
	int		 cmdline;
};

/* Text of a macro being expanded. */
struct parse_expand {
	char		*text;
	size_t		 pos;
	size_t		 len;
};

/*
 * All parser and lexer state for one config_parse call; bison's pure
 * parser passes it to every action, so there is no file-scope state.
 */
struct parse_ctx {
	struct vmd_config	*conf;
	int			 flags;
	int			 errors;
	struct parse_file	 files[CONFIG_MAX_INCLUDE];
	int			 nfiles;
	int			 totalfiles;
	struct parse_expand	 exp[PARSE_MAX_EXPAND_DEPTH];
	int			 nexp;
	size_t			 expanded;
	int			 unget[PARSE_UNGET_MAX];
	int			 nunget;
	struct parse_macro	*macros;
	size_t			 nmacros;
	int			 toklineno;	/* line of the last token */
	int			 lexerr;	/* lexer already said why */
	char			*tokbuf;	/* CONFIG_TOKEN_MAX bytes */
	struct config_vm	*vm;		/* block being parsed */
	struct config_switch	*sw;
	struct config_nic	*nic;
	struct config_disk	*disk;
	struct config_nic	 spare_nic;	/* targets after "too many" */
	struct config_disk	 spare_disk;
	char			 instance_of[CONFIG_NAME_MAX];
	int			 vmbad;		/* name already refused */
	int			 includeline;	/* line of the include */
};

static void	parse_error(struct parse_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	parse_vmsg(struct parse_ctx *, const char *, const char *,
		    va_list) __attribute__((format(printf, 3, 0)));
static int	parse_lexerror(struct parse_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	parse_warnx(struct parse_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	parse_pushfile(struct parse_ctx *, const char *, int);
static int	parse_setmacro(struct parse_ctx *, const char *,
		    const char *, int);
static int	parse_strcpy(struct parse_ctx *, char *, size_t,
		    const char *, const char *);
static int	parse_owner(struct parse_ctx *, const char *,
		    struct config_owner *);
static int	parse_memory(struct parse_ctx *, const char *, int64_t);
static void	parse_vm_begin(struct parse_ctx *, const char *, const char *);
static void	parse_vm_end(struct parse_ctx *);
static void	parse_switch_begin(struct parse_ctx *, const char *);
static void	parse_switch_end(struct parse_ctx *);
static void	parse_nic_begin(struct parse_ctx *, int, const char *);
static void	parse_disk(struct parse_ctx *, const char *);
static int	parse_lladdr(const char *, uint8_t *);
static int	parse_ifname_valid(const char *);
static void	parse_group(struct parse_ctx *, const char *, char *,
		    uint32_t *);
static void	parse_local_prefix(struct parse_ctx *, const char *);
static void	parse_local_inet6(struct parse_ctx *, const char *);
static void	parse_refuse(struct parse_ctx *, const char *);
static void	parse_finish(struct parse_ctx *);
%}

%union {
	int64_t		 number;
	char		*string;
}

%code {
static int	yylex(YYSTYPE *, struct parse_ctx *);
static void	yyerror(struct parse_ctx *, const char *);
}

%define api.pure full
%define parse.error verbose
%define lr.default-reduction consistent
%param { struct parse_ctx *ctx }

%token	AGENTX "agentx" ALLOW "allow" BOOT "boot" CDROM "cdrom"
%token	CMDLINE "cmdline" CONTEXT "context" CPUS "cpus" DELAY "delay"
%token	DEVICE "device" DISABLE "disable" DISK "disk" DOWN "down"
%token	ENABLE "enable" FORMAT "format" GROUP "group" INCLUDE "include"
%token	INET6 "inet6" INITRD "initrd" INSTANCE "instance"
%token	INTERFACE "interface" INTERFACES "interfaces" KERNEL "kernel"
%token	LLADDR "lladdr" LOCAL "local" LOCKED "locked" MEMORY "memory"
%token	NAT "nat" NET "net" OWNER "owner" PARALLEL "parallel" PATH "path"
%token	PREFIX "prefix" RDOMAIN "rdomain" SEV "sev" SEVES "seves"
%token	SOCKET "socket" STAGGERED "staggered" START "start"
%token	SWITCH "switch" UP "up" VM "vm"
%token	ERROR "invalid token"
%token	<string> STRING "string"
%token	<number> NUMBER "number"
%type	<string> string optstring vm_instance
%type	<number> updown enable locked optlocal
%destructor { free($$); } <string>

%%

grammar		: %empty
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar switch '\n'
		| grammar vm '\n'
		| grammar error '\n'	{ yyerrok; }
		;

string		: STRING
		| string STRING {
			if (asprintf(&$$, "%s %s", $1, $2) == -1)
				fatal("%s", __func__);
			free($1);
			free($2);
			if (strlen($$) >= CONFIG_TOKEN_MAX) {
				parse_error(ctx, "string too long");
				free($$);
				YYERROR;
			}
		}
		;

optstring	: %empty		{ $$ = NULL; }
		| STRING		{ $$ = $1; }
		;

optnl		: %empty
		| nl
		;

nl		: '\n'
		| nl '\n'
		;

include		: INCLUDE STRING {
			int	 rv;

			rv = parse_pushfile(ctx, $2, 0);
			free($2);
			if (rv == -1)
				YYERROR;
		}
		;

varset		: STRING '=' string {
			int	 rv;

			rv = parse_setmacro(ctx, $1, $3, 0);
			free($1);
			free($3);
			if (rv == -1)
				YYERROR;
		}
		;

main		: LOCAL PREFIX STRING {
			parse_local_prefix(ctx, $3);
			free($3);
		}
		| LOCAL INET6 {
			parse_local_inet6(ctx, NULL);
		}
		| LOCAL NAT {
			ctx->conf->local_nat = 1;
		}
		| LOCAL INET6 PREFIX STRING {
			parse_local_inet6(ctx, $4);
			free($4);
		}
		| SOCKET OWNER STRING {
			parse_owner(ctx, $3, &ctx->conf->socket_owner);
			free($3);
		}
		| SOCKET OWNER NUMBER {
			char	 buf[32];

			snprintf(buf, sizeof(buf), "%lld", (long long)$3);
			parse_owner(ctx, buf, &ctx->conf->socket_owner);
		}
		| STAGGERED START PARALLEL NUMBER DELAY NUMBER {
			if ($4 < 1 || $4 > 1024) {
				parse_error(ctx, "parallel must be 1 to 1024");
				YYERROR;
			}
			if ($6 < 0 || $6 > 86400) {
				parse_error(ctx, "delay must be 0 to 86400 seconds");
				YYERROR;
			}
			ctx->conf->stagger_parallel = (unsigned int)$4;
			ctx->conf->stagger_delay = (unsigned int)$6;
		}
		| AGENTX agentxopts {
			parse_refuse(ctx, "agentx");
		}
		;

agentxopts	: %empty
		| agentxopts CONTEXT STRING	{ free($3); }
		| agentxopts PATH STRING	{ free($3); }
		;

enable		: ENABLE	{ $$ = 0; }
		| DISABLE	{ $$ = 1; }
		;

updown		: UP		{ $$ = CONFIG_UPDOWN_UP; }
		| DOWN		{ $$ = CONFIG_UPDOWN_DOWN; }
		;

locked		: %empty	{ $$ = 0; }
		| LOCKED	{ $$ = 1; }
		;

/* switch "name" { interface br0, group g, locked lladdr, up|down } */
switch		: SWITCH string {
			parse_switch_begin(ctx, $2);
		} '{' switch_body '}' {
			parse_switch_end(ctx);
			free($2);
		}
		;

switch_body	: optnl
		| optnl switch_opts_l
		| optnl switch_opts_l nl
		;

switch_opts_l	: switch_opts
		| switch_opts_l nl switch_opts
		;

switch_opts	: enable {
			ctx->sw->disabled = (int)$1;
		}
		| GROUP string {
			parse_group(ctx, $2, ctx->sw->group, &ctx->sw->group_id);
			free($2);
		}
		| GROUP NUMBER {
			char	 buf[32];

			snprintf(buf, sizeof(buf), "%lld", (long long)$2);
			parse_group(ctx, buf, ctx->sw->group,
			    &ctx->sw->group_id);
		}
		| INTERFACE string {
			if (ctx->sw->ifname[0] != '\0')
				parse_error(ctx, "switch \"%s\": interface "
				    "specified more than once", ctx->sw->name);
			else if (!parse_ifname_valid($2))
				parse_error(ctx, "invalid interface name: %s", $2);
			else
				strlcpy(ctx->sw->ifname, $2,
				    sizeof(ctx->sw->ifname));
			free($2);
		}
		| LOCKED LLADDR {
			ctx->sw->locked = 1;
		}
		| RDOMAIN NUMBER {
			parse_refuse(ctx, "rdomain");
		}
		| updown {
			ctx->sw->updown = (enum config_updown)$1;
		}
		| error
		;

/* vm "name" [instance "name"] { ... } */
vm		: VM string vm_instance {
			parse_vm_begin(ctx, $2, $3);
		} '{' vm_body '}' {
			parse_vm_end(ctx);
			free($2);
			free($3);
		}
		;

vm_instance	: %empty		{ $$ = NULL; }
		| INSTANCE string	{ $$ = $2; }
		;

vm_body		: optnl
		| optnl vm_opts_l
		| optnl vm_opts_l nl
		;

vm_opts_l	: vm_opts
		| vm_opts_l nl vm_opts
		;

vm_opts		: enable {
			ctx->vm->disabled = (int)$1;
			ctx->vm->set |= CONFIG_SET_ENABLE;
		}
		| DISK string {
			parse_disk(ctx, $2);
		} disk_format_o {
			free($2);
		}
		| CDROM string {
			if (ctx->vm->set & CONFIG_SET_CDROM)
				parse_error(ctx, "cdrom specified more than once");
			else if (parse_strcpy(ctx, ctx->vm->cdrom,
			    sizeof(ctx->vm->cdrom), $2, "cdrom path") == 0)
				ctx->vm->set |= CONFIG_SET_CDROM;
			free($2);
		}
		| BOOT string {
			if (ctx->vm->set & CONFIG_SET_BOOT)
				parse_error(ctx, "boot specified more than once");
			else if (parse_strcpy(ctx, ctx->vm->boot,
			    sizeof(ctx->vm->boot), $2, "boot path") == 0)
				ctx->vm->set |= CONFIG_SET_BOOT;
			free($2);
		}
		| BOOT DEVICE bootdev
		| KERNEL string {
			parse_error(ctx, "\"kernel\" is obsolete, use \"boot\"");
			free($2);
		}
		| INITRD string {
			if (ctx->vm->set & CONFIG_SET_INITRD)
				parse_error(ctx, "initrd specified more than once");
			else if (parse_strcpy(ctx, ctx->vm->initrd,
			    sizeof(ctx->vm->initrd), $2, "initrd path") == 0)
				ctx->vm->set |= CONFIG_SET_INITRD;
			free($2);
		}
		| CMDLINE string {
			if (ctx->vm->set & CONFIG_SET_CMDLINE)
				parse_error(ctx,
				    "cmdline specified more than once");
			else if (parse_strcpy(ctx, ctx->vm->cmdline,
			    sizeof(ctx->vm->cmdline), $2,
			    "kernel command line") == 0)
				ctx->vm->set |= CONFIG_SET_CMDLINE;
			free($2);
		}
		| MEMORY NUMBER {
			parse_memory(ctx, NULL, $2);
		}
		| MEMORY STRING {
			parse_memory(ctx, $2, 0);
			free($2);
		}
		| CPUS NUMBER {
			if (ctx->vm->set & CONFIG_SET_CPUS)
				parse_error(ctx, "cpus specified more than once");
			else if ($2 < CONFIG_CPUS_MIN || $2 > CONFIG_CPUS_MAX)
				parse_error(ctx, "cpus must be %d to %d",
				    CONFIG_CPUS_MIN, CONFIG_CPUS_MAX);
			else {
				ctx->vm->cpus = (unsigned int)$2;
				ctx->vm->set |= CONFIG_SET_CPUS;
			}
		}
		| optlocal INTERFACE optstring {
			parse_nic_begin(ctx, (int)$1, $3);
		} iface_block {
			free($3);
		}
		| INTERFACES NUMBER {
			if (ctx->vm->set & CONFIG_SET_NINTERFACES)
				parse_error(ctx,
				    "interfaces specified more than once");
			else if ($2 < 0 || $2 > CONFIG_MAX_NICS)
				parse_error(ctx, "too many interfaces: %lld "
				    "(at most %d)", (long long)$2,
				    CONFIG_MAX_NICS);
			else {
				ctx->vm->ninterfaces = (size_t)$2;
				ctx->vm->set |= CONFIG_SET_NINTERFACES;
			}
		}
		| OWNER STRING {
			if (ctx->vm->set & CONFIG_SET_OWNER)
				parse_error(ctx, "owner specified more than once");
			else if (parse_owner(ctx, $2, &ctx->vm->owner) == 0)
				ctx->vm->set |= CONFIG_SET_OWNER;
			free($2);
		}
		| OWNER NUMBER {
			char	 buf[32];

			snprintf(buf, sizeof(buf), "%lld", (long long)$2);
			if (ctx->vm->set & CONFIG_SET_OWNER)
				parse_error(ctx, "owner specified more than once");
			else if (parse_owner(ctx, buf, &ctx->vm->owner) == 0)
				ctx->vm->set |= CONFIG_SET_OWNER;
		}
		| ALLOW INSTANCE '{' allow_body '}' {
			ctx->vm->set |= CONFIG_SET_ALLOW;
		}
		| SEV {
			parse_refuse(ctx, "sev");
		}
		| SEVES {
			parse_refuse(ctx, "seves");
		}
		| error
		;

optlocal	: %empty	{ $$ = 0; }
		| LOCAL		{ $$ = 1; }
		;

disk_format_o	: %empty
		| FORMAT STRING {
			int	f = disk_format_parse($2);

			if (f == -1)
				parse_error(ctx, "unknown disk format: %s "
				    "(raw, qcow2 or force-raw)", $2);
			else
				ctx->disk->format = (enum config_format)f;
			free($2);
		}
		;

bootdev		: DISK {
			ctx->vm->bootdev = CONFIG_BOOTDEV_DISK;
			ctx->vm->set |= CONFIG_SET_BOOTDEV;
		}
		| CDROM {
			ctx->vm->bootdev = CONFIG_BOOTDEV_CDROM;
			ctx->vm->set |= CONFIG_SET_BOOTDEV;
		}
		| NET {
			ctx->vm->bootdev = CONFIG_BOOTDEV_NET;
			ctx->vm->set |= CONFIG_SET_BOOTDEV;
		}
		| STRING {
			parse_error(ctx, "unknown boot device: %s "
			    "(disk, cdrom or net)", $1);
			free($1);
		}
		;

iface_block	: %empty
		| '{' iface_body '}'
		;

iface_body	: optnl
		| optnl iface_opts_l
		| optnl iface_opts_l nl
		;

iface_opts_l	: iface_opts
		| iface_opts_l nl iface_opts
		;

iface_opts	: SWITCH string {
			if (parse_strcpy(ctx, ctx->nic->switchname,
			    sizeof(ctx->nic->switchname), $2,
			    "switch name") == 0 &&
			    !config_name_valid($2))
				parse_error(ctx, "invalid switch name: %s", $2);
			free($2);
		}
		| GROUP string {
			parse_group(ctx, $2, ctx->nic->group,
			    &ctx->nic->group_id);
			free($2);
		}
		| GROUP NUMBER {
			char	 buf[32];

			snprintf(buf, sizeof(buf), "%lld", (long long)$2);
			parse_group(ctx, buf, ctx->nic->group,
			    &ctx->nic->group_id);
		}
		| locked LLADDR optstring {
			ctx->nic->locked = (int)$1;
			if ($3 != NULL) {
				if (parse_lladdr($3, ctx->nic->lladdr) == -1)
					parse_error(ctx, "invalid lladdr: %s", $3);
				else
					ctx->nic->has_lladdr = 1;
			}
			free($3);
		}
		| RDOMAIN NUMBER {
			parse_refuse(ctx, "rdomain");
		}
		| updown {
			ctx->nic->updown = (enum config_updown)$1;
		}
		| error
		;

allow_body	: optnl
		| optnl allow_l
		| optnl allow_l nl
		;

allow_l		: allow_opt
		| allow_l allow_sep allow_opt
		;

allow_sep	: nl
		| ',' optnl
		;

allow_opt	: BOOT		{ ctx->vm->allow |= CONFIG_ALLOW_BOOT; }
		| CDROM		{ ctx->vm->allow |= CONFIG_ALLOW_CDROM; }
		| DISK		{ ctx->vm->allow |= CONFIG_ALLOW_DISK; }
		| INSTANCE	{ ctx->vm->allow |= CONFIG_ALLOW_INSTANCE; }
		| INTERFACE	{ ctx->vm->allow |= CONFIG_ALLOW_INTERFACE; }
		| MEMORY	{ ctx->vm->allow |= CONFIG_ALLOW_MEMORY; }
		| OWNER STRING {
			if (parse_owner(ctx, $2, &ctx->vm->allow_owner) == 0)
				ctx->vm->allow |= CONFIG_ALLOW_OWNER;
			free($2);
		}
		| OWNER NUMBER {
			char	 buf[32];

			snprintf(buf, sizeof(buf), "%lld", (long long)$2);
			if (parse_owner(ctx, buf, &ctx->vm->allow_owner) == 0)
				ctx->vm->allow |= CONFIG_ALLOW_OWNER;
		}
		| error
		;

%%

/* Keywords, sorted for bsearch. */
struct parse_keyword {
	const char	*name;
	int		 token;
};

static const struct parse_keyword parse_keywords[] = {
	{ "agentx",	AGENTX },
	{ "allow",	ALLOW },
	{ "boot",	BOOT },
	{ "cdrom",	CDROM },
	{ "cmdline",	CMDLINE },
	{ "context",	CONTEXT },
	{ "cpus",	CPUS },
	{ "delay",	DELAY },
	{ "device",	DEVICE },
	{ "disable",	DISABLE },
	{ "disk",	DISK },
	{ "down",	DOWN },
	{ "enable",	ENABLE },
	{ "format",	FORMAT },
	{ "group",	GROUP },
	{ "include",	INCLUDE },
	{ "inet6",	INET6 },
	{ "initrd",	INITRD },
	{ "instance",	INSTANCE },
	{ "interface",	INTERFACE },
	{ "interfaces",	INTERFACES },
	{ "kernel",	KERNEL },
	{ "lladdr",	LLADDR },
	{ "local",	LOCAL },
	{ "locked",	LOCKED },
	{ "memory",	MEMORY },
	{ "nat",	NAT },
	{ "net",	NET },
	{ "owner",	OWNER },
	{ "parallel",	PARALLEL },
	{ "path",	PATH },
	{ "prefix",	PREFIX },
	{ "rdomain",	RDOMAIN },
	{ "sev",	SEV },
	{ "seves",	SEVES },
	{ "socket",	SOCKET },
	{ "staggered",	STAGGERED },
	{ "start",	START },
	{ "switch",	SWITCH },
	{ "up",		UP },
	{ "vm",		VM },
};

static int
parse_kwcmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct parse_keyword *)e)->name);
}

static int
parse_lookup(const char *s)
{
	const struct parse_keyword	*kw;

	kw = bsearch(s, parse_keywords,
	    sizeof(parse_keywords) / sizeof(parse_keywords[0]),
	    sizeof(parse_keywords[0]), parse_kwcmp);
	return kw != NULL ? kw->token : STRING;
}

static struct parse_file *
parse_curfile(struct parse_ctx *ctx)
{
	return &ctx->files[ctx->nfiles - 1];
}

static void
parse_vmsg(struct parse_ctx *ctx, const char *pfx, const char *fmt,
    va_list ap)
{
	if (ctx->flags & CONFIG_F_QUIET)
		return;
	fprintf(stderr, "%s:%d: %s", ctx->nfiles > 0 ?
	    parse_curfile(ctx)->name : "?", ctx->toklineno, pfx);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* bison's syntax errors. */
static void
yyerror(struct parse_ctx *ctx, const char *msg)
{
	/* The lexer already explained the token that broke the syntax. */
	if (ctx->lexerr) {
		ctx->lexerr = 0;
		return;
	}
	parse_error(ctx, "%s", msg);
}

static void
parse_error(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	ctx->lexerr = 0;
	ctx->errors++;
	va_start(ap, fmt);
	parse_vmsg(ctx, "", fmt, ap);
	va_end(ap);
}

static void
parse_warnx(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	parse_vmsg(ctx, "warning: ", fmt, ap);
	va_end(ap);
}

/* A lexer error: say why, and keep bison from adding "syntax error". */
static int
parse_lexerror(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	ctx->errors++;
	va_start(ap, fmt);
	parse_vmsg(ctx, "", fmt, ap);
	va_end(ap);
	ctx->lexerr = 1;
	return ERROR;
}

static void
parse_refuse(struct parse_ctx *ctx, const char *kw)
{
	parse_error(ctx, "\"%s\" is not supported on Linux", kw);
}

/*
 * parse_getc: the next character: pushed-back ones, then macro text, then
 * the current file with backslash-newline joined. EOF at the file's end.
 */
static int
parse_getc(struct parse_ctx *ctx)
{
	struct parse_file	*f;
	struct parse_expand	*e;
	int			 c, next;

	for (;;) {
		if (ctx->nunget > 0)
			return ctx->unget[--ctx->nunget];
		if (ctx->nexp > 0) {
			e = &ctx->exp[ctx->nexp - 1];
			if (e->pos < e->len)
				return (unsigned char)e->text[e->pos++];
			free(e->text);
			ctx->nexp--;
			continue;
		}
		f = parse_curfile(ctx);
		c = getc(f->fp);
		if (c != '\\')
			return c;
		next = getc(f->fp);
		if (next == '\n') {
			f->lineno++;
			continue;
		}
		/* Escaped character: deliver it raw, not re-joined. */
		if (next != EOF)
			ctx->unget[ctx->nunget++] = next;
		return c;
	}
}

static void
parse_ungetc(struct parse_ctx *ctx, int c)
{
	if (c == EOF)
		return;
	if (ctx->nunget >= PARSE_UNGET_MAX)
		fatalx("%s: unget overflow", __func__);
	ctx->unget[ctx->nunget++] = c;
}

static int
parse_instring(int c)
{
	if (isalnum(c))
		return 1;
	switch (c) {
	case '-': case '_': case '.': case '/': case ':': case '+':
	case '@': case '%': case '~': case '[': case ']': case '*':
	case '?': case '^': case '&': case '|':
		return 1;
	}
	return 0;
}

static struct parse_macro *
parse_findmacro(struct parse_ctx *ctx, const char *name)
{
	size_t	 i;

	for (i = 0; i < ctx->nmacros; i++)
		if (strcmp(ctx->macros[i].name, name) == 0)
			return &ctx->macros[i];
	return NULL;
}

/* $name: push the macro's text in front of the input. */
static int
parse_expand(struct parse_ctx *ctx)
{
	struct parse_macro	*m;
	struct parse_expand	*e;
	char			 name[CONFIG_NAME_MAX];
	size_t			 n = 0, i;
	int			 c;

	while ((c = parse_getc(ctx)) != EOF &&
	    (isalnum(c) || c == '_')) {
		if (n + 1 >= sizeof(name))
			return parse_lexerror(ctx, "macro name too long");
		name[n++] = (char)c;
	}
	parse_ungetc(ctx, c);
	name[n] = '\0';
	if (n == 0)
		return parse_lexerror(ctx, "missing macro name after $");
	if ((m = parse_findmacro(ctx, name)) == NULL)
		return parse_lexerror(ctx, "macro '%s' not defined", name);
	m->used = 1;
	if (ctx->nexp >= PARSE_MAX_EXPAND_DEPTH)
		return parse_lexerror(ctx, "macro '%s' nested too deeply",
		    name);
	ctx->expanded += strlen(m->value);
	if (ctx->expanded > CONFIG_MAX_EXPAND)
		return parse_lexerror(ctx, "too much macro expansion");
	/*
	 * The characters read past the name come after the macro's text:
	 * move them from the unget stack to the end of the expansion.
	 */
	e = &ctx->exp[ctx->nexp];
	e->len = strlen(m->value);
	if ((e->text = malloc(e->len + 1 + PARSE_UNGET_MAX + 1)) == NULL)
		fatal("%s", __func__);
	memcpy(e->text, m->value, e->len);
	/* A macro cannot end a line: its newlines are blanks. */
	for (i = 0; i < e->len; i++)
		if (e->text[i] == '\n')
			e->text[i] = ' ';
	while (ctx->nunget > 0)
		e->text[e->len++] = (char)ctx->unget[--ctx->nunget];
	e->text[e->len] = '\0';
	e->pos = 0;
	ctx->nexp++;
	return 0;
}

/* A quoted string, the opening quote read. */
static int
parse_quoted(struct parse_ctx *ctx, int quote, YYSTYPE *lval)
{
	char	*buf = ctx->tokbuf;
	size_t	 n = 0;
	int	 c, next;

	for (;;) {
		c = parse_getc(ctx);
		if (c == EOF || c == '\n') {
			parse_ungetc(ctx, c);
			return parse_lexerror(ctx,
			    "unterminated quoted string");
		}
		if (c == '\0')
			return parse_lexerror(ctx,
			    "NUL character in quoted string");
		if (c == quote)
			break;
		if (c == '\\') {
			next = parse_getc(ctx);
			switch (next) {
			case EOF:
			case '\n':
				parse_ungetc(ctx, next);
				return parse_lexerror(ctx,
				    "unterminated quoted string");
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
			case '"':
			case '\'':
				c = next;
				break;
			default:
				/* Unknown escape: keep the backslash. */
				if (n + 1 >= CONFIG_TOKEN_MAX)
					goto toolong;
				buf[n++] = '\\';
				c = next;
				break;
			}
		}
		if (n + 1 >= CONFIG_TOKEN_MAX)
			goto toolong;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	if ((lval->string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	return STRING;
toolong:
	/* Swallow the rest of the string so the next token is sane. */
	while ((c = parse_getc(ctx)) != EOF && c != '\n' && c != quote)
		;
	parse_ungetc(ctx, c == quote ? EOF : c);
	return parse_lexerror(ctx, "string too long");
}

static int
yylex(YYSTYPE *lval, struct parse_ctx *ctx)
{
	struct parse_file	*f;
	char			*buf = ctx->tokbuf;
	const char		*errstr;
	size_t			 n;
	int			 c, token;

top:
	f = parse_curfile(ctx);
	if (f->start_nl) {
		/* Ends the include statement; not a line of the file. */
		f->start_nl = 0;
		ctx->toklineno = ctx->includeline;
		return '\n';
	}
	while ((c = parse_getc(ctx)) == ' ' || c == '\t' || c == '\r')
		;
	ctx->toklineno = f->lineno;
	if (c == '#') {
		while ((c = parse_getc(ctx)) != '\n' && c != EOF)
			;
	}
	if (c == '$') {
		if ((token = parse_expand(ctx)) != 0)
			return token;
		goto top;
	}
	switch (c) {
	case EOF:
		if (!f->eof_nl) {
			/* A last line without a newline still ends. */
			f->eof_nl = 1;
			return '\n';
		}
		if (ctx->nfiles > 1) {
			fclose(f->fp);
			free(f->name);
			ctx->nfiles--;
			goto top;
		}
		return 0;
	case '\n':
		f->lineno++;
		return '\n';
	case '"':
	case '\'':
		return parse_quoted(ctx, c, lval);
	case '{':
	case '}':
	case '=':
	case ',':
		return c;
	case '\0':
		return parse_lexerror(ctx, "NUL character");
	}
	if (!parse_instring(c)) {
		if (isprint(c))
			return parse_lexerror(ctx, "unexpected character '%c'",
			    c);
		return parse_lexerror(ctx, "unexpected character 0x%02x", c);
	}
	n = 0;
	do {
		if (n + 1 >= CONFIG_TOKEN_MAX) {
			while ((c = parse_getc(ctx)) != EOF && parse_instring(c))
				;
			parse_ungetc(ctx, c);
			return parse_lexerror(ctx, "string too long");
		}
		buf[n++] = (char)c;
	} while ((c = parse_getc(ctx)) != EOF && parse_instring(c));
	parse_ungetc(ctx, c);
	buf[n] = '\0';

	/* All digits (with an optional sign): a number. */
	for (n = (buf[0] == '-'); buf[n] != '\0' && isdigit((unsigned char)buf[n]);
	    n++)
		;
	if (buf[n] == '\0' && n > (size_t)(buf[0] == '-')) {
		lval->number = strtonum(buf, INT64_MIN, INT64_MAX, &errstr);
		if (errstr != NULL)
			return parse_lexerror(ctx, "number %s is %s", buf,
			    errstr);
		return NUMBER;
	}
	if ((token = parse_lookup(buf)) == INCLUDE)
		ctx->includeline = ctx->toklineno;
	if (token == STRING) {
		if ((lval->string = strdup(buf)) == NULL)
			fatal("%s", __func__);
	}
	return token;
}

/* What a file that is not a regular one is, for the error message. */
static const char *
parse_filetype(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "a special file";
}

/*
 * parse_open: open path for reading without blocking (a FIFO or a device
 * must not stall a reload) and only if it is a regular file. The FILE;
 * or NULL with *what NULL and errno set; or NULL with *what saying what
 * the file is instead of a regular one.
 */
static FILE *
parse_open(const char *path, const char **what)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd, flags, saved;

	*what = NULL;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC))
	    == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		*what = parse_filetype(st.st_mode);
		close(fd);
		return NULL;
	}
	/* A regular file never blocks; reads see no EAGAIN either way. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	if ((fp = fdopen(fd, "r")) == NULL)
		goto fail;
	return fp;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}

/*
 * parse_pushfile: open name and read from it next. Relative names are
 * taken relative to the including file's directory. toplevel: the first
 * file, whose absence CONFIG_F_MISSING_OK may excuse.
 */
static int
parse_pushfile(struct parse_ctx *ctx, const char *name, int toplevel)
{
	struct parse_file	*f;
	const char		*parent, *slash, *what;
	char			*path;
	FILE			*fp;

	if (!toplevel)
		ctx->toklineno = ctx->includeline;
	if (ctx->nfiles >= CONFIG_MAX_INCLUDE) {
		parse_error(ctx, "include \"%s\": nested too deeply", name);
		return -1;
	}
	if (ctx->totalfiles >= CONFIG_MAX_FILES) {
		parse_error(ctx, "include \"%s\": too many files", name);
		return -1;
	}
	if (!toplevel && name[0] != '/' &&
	    (slash = strrchr(parent = parse_curfile(ctx)->name, '/')) != NULL) {
		if (asprintf(&path, "%.*s/%s", (int)(slash - parent), parent,
		    name) == -1)
			fatal("%s", __func__);
	} else if ((path = strdup(name)) == NULL)
		fatal("%s", __func__);

	if ((fp = parse_open(path, &what)) == NULL && what == NULL) {
		if (toplevel) {
			if (!(ctx->flags & CONFIG_F_QUIET))
				fprintf(stderr, "%s: %s\n", path,
				    strerror(errno));
			if (errno == ENOENT && (ctx->flags & CONFIG_F_MISSING_OK)) {
				free(path);
				return 1;
			}
			ctx->errors++;
		} else
			parse_error(ctx, "include \"%s\": %s", path,
			    strerror(errno));
		free(path);
		return -1;
	}
	if (fp == NULL) {
		if (toplevel) {
			if (!(ctx->flags & CONFIG_F_QUIET))
				fprintf(stderr, "%s: %s, not a regular file\n",
				    path, what);
			ctx->errors++;
		} else
			parse_error(ctx, "include \"%s\": %s, not a regular "
			    "file", path, what);
		free(path);
		return -1;
	}
	f = &ctx->files[ctx->nfiles++];
	memset(f, 0, sizeof(*f));
	f->fp = fp;
	f->name = path;
	f->lineno = 1;
	f->start_nl = !toplevel;
	ctx->totalfiles++;
	return 0;
}

static int
parse_macro_name_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Define a macro; the file cannot replace one given with -D. */
static int
parse_setmacro(struct parse_ctx *ctx, const char *name, const char *value,
    int cmdline)
{
	struct parse_macro	*m, *v;
	char			*nv;

	if (!parse_macro_name_valid(name) || strlen(name) >= CONFIG_NAME_MAX) {
		parse_error(ctx, "invalid macro name: %s", name);
		return -1;
	}
	if ((m = parse_findmacro(ctx, name)) != NULL) {
		if (m->cmdline && !cmdline)
			return 0;
		if ((nv = strdup(value)) == NULL)
			fatal("%s", __func__);
		free(m->value);
		m->value = nv;
		m->cmdline = cmdline;
		return 0;
	}
	v = reallocarray(ctx->macros, ctx->nmacros + 1, sizeof(*v));
	if (v == NULL)
		fatal("%s", __func__);
	ctx->macros = v;
	m = &v[ctx->nmacros];
	if ((m->name = strdup(name)) == NULL ||
	    (m->value = strdup(value)) == NULL)
		fatal("%s", __func__);
	m->used = 0;
	m->cmdline = cmdline;
	ctx->nmacros++;
	return 0;
}

static int
parse_strcpy(struct parse_ctx *ctx, char *dst, size_t len, const char *src,
    const char *what)
{
	if (*src == '\0') {
		parse_error(ctx, "%s is empty", what);
		return -1;
	}
	if (strlcpy(dst, src, len) >= len) {
		parse_error(ctx, "%s too long (at most %zu characters)", what,
		    len - 1);
		dst[0] = '\0';
		return -1;
	}
	return 0;
}

/* A user or group name, or a number. */
static int
parse_id(const char *s, int isgroup, unsigned int *id)
{
	struct passwd	*pw;
	struct group	*gr;
	const char	*errstr;
	long long	 n;

	if (isgroup) {
		if ((gr = getgrnam(s)) != NULL) {
			*id = gr->gr_gid;
			return 0;
		}
	} else if ((pw = getpwnam(s)) != NULL) {
		*id = pw->pw_uid;
		return 0;
	}
	n = strtonum(s, 0, UINT_MAX - 1, &errstr);
	if (errstr != NULL)
		return -1;
	*id = (unsigned int)n;
	return 0;
}

/* owner user[:group] | :group */
static int
parse_owner(struct parse_ctx *ctx, const char *s, struct config_owner *o)
{
	const char	*colon;
	char		 user[256];
	unsigned int	 id;

	o->uid = (uid_t)-1;
	o->gid = (gid_t)-1;
	if ((colon = strchr(s, ':')) == NULL)
		colon = s + strlen(s);
	if ((size_t)(colon - s) >= sizeof(user)) {
		parse_error(ctx, "user name too long");
		return -1;
	}
	memcpy(user, s, (size_t)(colon - s));
	user[colon - s] = '\0';
	if (user[0] == '\0' && *colon == '\0') {
		parse_error(ctx, "owner is empty");
		return -1;
	}
	if (user[0] != '\0') {
		if (parse_id(user, 0, &id) == -1) {
			parse_error(ctx, "unknown user %s", user);
			return -1;
		}
		o->uid = id;
	}
	if (*colon == ':') {
		if (colon[1] == '\0') {
			parse_error(ctx, "missing group name after ':'");
			return -1;
		}
		if (parse_id(colon + 1, 1, &id) == -1) {
			parse_error(ctx, "unknown group %s", colon + 1);
			return -1;
		}
		o->gid = id;
	}
	return 0;
}

static int
parse_memory(struct parse_ctx *ctx, const char *word, int64_t bytes)
{
	uint64_t	 size;

	if (ctx->vm->set & CONFIG_SET_MEMORY) {
		parse_error(ctx, "memory specified more than once");
		return -1;
	}
	if (word != NULL) {
		if (util_parse_size(word, &size) == -1) {
			parse_error(ctx, "invalid memory size: %s", word);
			return -1;
		}
	} else if (bytes < 0) {
		parse_error(ctx, "invalid memory size: %lld", (long long)bytes);
		return -1;
	} else
		size = (uint64_t)bytes;
	if (size < CONFIG_MEM_MIN) {
		parse_error(ctx, "memory size must be at least %lluM",
		    (unsigned long long)(CONFIG_MEM_MIN >> 20));
		return -1;
	}
	if (size > CONFIG_MEM_MAX) {
		parse_error(ctx, "memory size must be at most %lluG",
		    (unsigned long long)(CONFIG_MEM_MAX >> 30));
		return -1;
	}
	if (size % CONFIG_MEM_ROUND != 0) {
		size -= size % CONFIG_MEM_ROUND;
		parse_warnx(ctx, "memory size rounded down to %lluM",
		    (unsigned long long)(size >> 20));
	}
	ctx->vm->memory = size;
	ctx->vm->set |= CONFIG_SET_MEMORY;
	return 0;
}

static int
parse_lladdr(const char *s, uint8_t *ea)
{
	unsigned int	 b[6];
	char		 c;
	int		 i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
	    &b[3], &b[4], &b[5], &c) != 6 || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++)
		ea[i] = (uint8_t)b[i];
	/* Multicast addresses cannot be a NIC's own. */
	if (ea[0] & 1)
		return -1;
	return 0;
}

/* Linux interface names: 1-15 of alnum . - _, not "." or "..". */
static int
parse_ifname_valid(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n == 0 || n >= CONFIG_IFNAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/*
 * A Linux interface group: a number (0 to 2^32 - 1) or a name from
 * /etc/iproute2/group, resolved now (priv cannot read the file later).
 */
static void
parse_group(struct parse_ctx *ctx, const char *s, char *dst, uint32_t *id)
{
	if (strlen(s) >= CONFIG_GROUP_MAX || !parse_ifname_valid(s)) {
		parse_error(ctx, "invalid group name: %s", s);
		return;
	}
	if (netif_group_lookup(s, NULL, id) == -1) {
		parse_error(ctx, "unknown interface group %s (a number, or a "
		    "name in %s)", s, NETIF_GROUP_FILE);
		return;
	}
	strlcpy(dst, s, CONFIG_GROUP_MAX);
}

static void
parse_local_prefix(struct parse_ctx *ctx, const char *s)
{
	struct in_addr	 a;
	int		 len;

	len = inet_net_pton(AF_INET, s, &a, sizeof(a));
	if (len == -1 || strchr(s, '/') == NULL) {
		parse_error(ctx, "invalid local prefix: %s", s);
		return;
	}
	if (len < 1 || len > 16) {
		parse_error(ctx, "local prefix length must be 1 to 16: %s", s);
		return;
	}
	ctx->conf->local_prefix = a;
	ctx->conf->local_prefixlen = len;
	ctx->conf->local_prefix_line = ctx->toklineno;
}

static void
parse_local_inet6(struct parse_ctx *ctx, const char *s)
{
	struct in6_addr	 a;
	char		 buf[INET6_ADDRSTRLEN + 8];
	const char	*errstr;
	char		*slash;
	int		 len;

	ctx->conf->local_inet6 = 1;
	if (s == NULL)
		return;		/* config.c made a random ULA */
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf) ||
	    (slash = strchr(buf, '/')) == NULL) {
		parse_error(ctx, "invalid local inet6 prefix: %s", s);
		return;
	}
	*slash++ = '\0';
	len = (int)strtonum(slash, 1, 128, &errstr);
	if (errstr != NULL || inet_pton(AF_INET6, buf, &a) != 1) {
		parse_error(ctx, "invalid local inet6 prefix: %s", s);
		return;
	}
	if (len > 64) {
		parse_error(ctx, "local inet6 prefix length must be at most 64: "
		    "%s", s);
		return;
	}
	ctx->conf->local_prefix6 = a;
	ctx->conf->local_prefix6len = len;
	ctx->conf->local_prefix6_set = 1;
}

static void
parse_switch_begin(struct parse_ctx *ctx, const char *name)
{
	struct config_switch	*sw;

	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		fatal("%s", __func__);
	if (strlen(name) >= sizeof(sw->name))
		parse_error(ctx, "switch name too long (at most %zu characters)",
		    sizeof(sw->name) - 1);
	else if (!config_name_valid(name))
		parse_error(ctx, "invalid switch name: %s", name);
	strlcpy(sw->name, name, sizeof(sw->name));
	strlcpy(sw->file, parse_curfile(ctx)->name, sizeof(sw->file));
	sw->line = ctx->toklineno;
	free(ctx->sw);	/* left over by error recovery */
	ctx->sw = sw;
}

static void
parse_switch_end(struct parse_ctx *ctx)
{
	struct config_switch	*sw = ctx->sw, *o;

	ctx->sw = NULL;
	ctx->toklineno = sw->line;
	if (sw->ifname[0] == '\0') {
		parse_error(ctx, "switch \"%s\" has no interface", sw->name);
		goto drop;
	}
	if ((o = config_switch_add(ctx->conf, sw)) == NULL)
		return;
	if (strcmp(o->name, sw->name) == 0)
		parse_error(ctx, "switch \"%s\" defined twice (first at %s:%d)",
		    sw->name, o->file, o->line);
	else
		parse_error(ctx, "switch \"%s\": interface %s already used by "
		    "switch \"%s\"", sw->name, sw->ifname, o->name);
drop:
	free(sw);
}

static void
parse_vm_begin(struct parse_ctx *ctx, const char *name, const char *instance)
{
	struct config_vm	*vm;
	const char		*vmname = instance != NULL ? instance : name;

	if ((vm = calloc(1, sizeof(*vm))) == NULL)
		fatal("%s", __func__);
	ctx->vmbad = 1;
	if (strlen(vmname) >= sizeof(vm->name))
		parse_error(ctx, "vm name too long (at most %zu characters)",
		    sizeof(vm->name) - 1);
	else if (!config_name_valid(vmname))
		parse_error(ctx, "invalid vm name: %s", vmname);
	else
		ctx->vmbad = 0;
	config_vm_init(vm, vmname);
	ctx->instance_of[0] = '\0';
	if (instance != NULL)
		strlcpy(ctx->instance_of, name, sizeof(ctx->instance_of));
	strlcpy(vm->file, parse_curfile(ctx)->name, sizeof(vm->file));
	vm->line = ctx->toklineno;
	free(ctx->vm);	/* left over by error recovery */
	ctx->vm = vm;
}

static void
parse_vm_end(struct parse_ctx *ctx)
{
	struct config_vm	*vm = ctx->vm, *o, *parent;
	struct config_vm	*merged;
	char			 errbuf[256];

	ctx->vm = NULL;
	ctx->toklineno = vm->line;
	if (ctx->vmbad)
		goto drop;
	if ((o = config_vm_find(ctx->conf, vm->name)) != NULL) {
		parse_error(ctx, "vm \"%s\" defined twice (first at %s:%d)",
		    vm->name, o->file, o->line);
		goto drop;
	}
	if (ctx->instance_of[0] != '\0') {
		if ((parent = config_vm_find(ctx->conf,
		    ctx->instance_of)) == NULL) {
			parse_error(ctx, "vm \"%s\": instance of unknown vm "
			    "\"%s\"", vm->name, ctx->instance_of);
			goto drop;
		}
		if ((merged = calloc(1, sizeof(*merged))) == NULL)
			fatal("%s", __func__);
		if (config_vm_instance(parent, vm, vm->name, 0, merged,
		    errbuf, sizeof(errbuf)) == -1) {
			parse_error(ctx, "vm \"%s\": %s", vm->name, errbuf);
			free(merged);
			goto drop;
		}
		strlcpy(merged->file, vm->file, sizeof(merged->file));
		merged->line = vm->line;
		free(vm);
		vm = merged;
	}
	if (config_vm_add(ctx->conf, vm) == NULL)
		return;
	/* Not reached: the name was looked up above. */
drop:
	free(vm);
}

static void
parse_nic_begin(struct parse_ctx *ctx, int local, const char *ifname)
{
	struct config_vm	*vm = ctx->vm;

	if (vm->nnics >= CONFIG_MAX_NICS) {
		parse_error(ctx, "too many interfaces (at most %d)",
		    CONFIG_MAX_NICS);
		memset(&ctx->spare_nic, 0, sizeof(ctx->spare_nic));
		ctx->nic = &ctx->spare_nic;
		return;
	}
	ctx->nic = &vm->nics[vm->nnics++];
	memset(ctx->nic, 0, sizeof(*ctx->nic));
	ctx->nic->local = local;
	ctx->nic->line = ctx->toklineno;
	vm->set |= CONFIG_SET_NICS;
	if (ifname != NULL && strcmp(ifname, "tap") != 0) {
		if (!parse_ifname_valid(ifname))
			parse_error(ctx, "invalid interface name: %s", ifname);
		else
			strlcpy(ctx->nic->ifname, ifname,
			    sizeof(ctx->nic->ifname));
	}
}

static void
parse_disk(struct parse_ctx *ctx, const char *path)
{
	struct config_vm	*vm = ctx->vm;

	memset(&ctx->spare_disk, 0, sizeof(ctx->spare_disk));
	ctx->disk = &ctx->spare_disk;
	if (vm->ndisks >= CONFIG_MAX_DISKS) {
		parse_error(ctx, "too many disks (at most %d)",
		    CONFIG_MAX_DISKS);
		return;
	}
	if (parse_strcpy(ctx, ctx->spare_disk.path,
	    sizeof(ctx->spare_disk.path), path, "disk path") == -1)
		return;
	ctx->disk = &vm->disks[vm->ndisks++];
	*ctx->disk = ctx->spare_disk;
	vm->set |= CONFIG_SET_DISKS;
}

/* Checks that need the whole file: switches named by interfaces. */
static void
parse_finish(struct parse_ctx *ctx)
{
	struct config_vm	*vm;
	size_t			 i;
	uint32_t		 id = 0, maxid;
	int			 saveline = ctx->toklineno, local;

	/* VMs get ids 1, 2, ... in file order: local ones must fit. */
	maxid = localaddr_maxid(ctx->conf->local_prefixlen);
	TAILQ_FOREACH(vm, &ctx->conf->vms, entry) {
		id++;
		for (i = 0, local = 0; i < vm->nnics; i++)
			local |= vm->nics[i].local;
		if (!local || id <= maxid)
			continue;
		ctx->errors++;
		if (!(ctx->flags & CONFIG_F_QUIET))
			fprintf(stderr, "%s:%d: vm \"%s\": local prefix /%d "
			    "too small for VM id %u (at most %u)\n", vm->file,
			    vm->line, vm->name, ctx->conf->local_prefixlen,
			    id, maxid);
		break;
	}
	TAILQ_FOREACH(vm, &ctx->conf->vms, entry) {
		for (i = 0; i < vm->nnics; i++) {
			if (vm->nics[i].switchname[0] == '\0' ||
			    config_switch_find(ctx->conf,
			    vm->nics[i].switchname) != NULL)
				continue;
			ctx->errors++;
			if (ctx->flags & CONFIG_F_QUIET)
				continue;
			fprintf(stderr, "%s:%d: vm \"%s\": unknown switch "
			    "\"%s\"\n", vm->file, vm->nics[i].line, vm->name,
			    vm->nics[i].switchname);
		}
	}
	ctx->toklineno = saveline;
}

struct vmd_config *
config_parse(const char *file, const struct config_macros *defs, int flags,
    int *errors)
{
	struct parse_ctx	 ctx;
	size_t			 i;
	int			 rv;

	*errors = 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.flags = flags;
	if ((ctx.conf = config_new()) == NULL)
		return NULL;
	if ((ctx.tokbuf = malloc(CONFIG_TOKEN_MAX)) == NULL) {
		config_free(ctx.conf);
		return NULL;
	}
	if (file == NULL)
		file = CONFIG_DEFAULT_FILE;
	for (i = 0; defs != NULL && i < defs->n; i++)
		parse_setmacro(&ctx, defs->v[i].name, defs->v[i].value, 1);

	rv = parse_pushfile(&ctx, file, 1);
	if (rv == 0) {
		yyparse(&ctx);
		parse_finish(&ctx);
		/* yyparse stops at EOF only after every file was popped. */
		while (ctx.nfiles > 0) {
			fclose(ctx.files[ctx.nfiles - 1].fp);
			free(ctx.files[ctx.nfiles - 1].name);
			ctx.nfiles--;
		}
	}
	while (ctx.nexp > 0)
		free(ctx.exp[--ctx.nexp].text);
	for (i = 0; i < ctx.nmacros; i++) {
		if ((flags & CONFIG_F_VERBOSE) && !ctx.macros[i].used &&
		    !ctx.macros[i].cmdline)
			fprintf(stderr, "warning: macro '%s' not used\n",
			    ctx.macros[i].name);
		free(ctx.macros[i].name);
		free(ctx.macros[i].value);
	}
	free(ctx.macros);
	free(ctx.tokbuf);
	if (ctx.vm != NULL)
		free(ctx.vm);
	if (ctx.sw != NULL)
		free(ctx.sw);
	if (ctx.errors > 0 || rv == -1) {
		*errors = ctx.errors > 0 ? ctx.errors : 1;
		config_free(ctx.conf);
		return NULL;
	}
	return ctx.conf;
}
