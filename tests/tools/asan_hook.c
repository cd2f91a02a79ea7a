/* SPDX-License-Identifier: ISC */
/*
 * Linked into build/vmd-asan only (ld --wrap=chroot,--wrap=prctl,
 * --wrap=seccomp_load): lets the sanitizer runtimes report from inside
 * vmd's sandboxes.
 *
 * A report names the module of every stack frame (symbolize=0 prints
 * "(binary+0xoffset)", symbolized offline by tests/integ/asan_daemon.t).
 * The runtimes build that module list lazily, on the first report, from
 * dl_iterate_phdr and /proc/self/maps: after chroot there is no /proc, and
 * under a seccomp filter that kills on open(2) the report would end the
 * process before its first line. So, just before each chroot, no_new_privs
 * and filter load (until the first filter is in), this builds the list in both runtimes (gcc links ASan and
 * UBSan as two libraries, each with its own copy) and caches the maps
 * (__sanitizer_sandbox_on_notify, the runtimes' own hook for sandboxes).
 *
 * gcc's UBSan runtime also initialises itself lazily, on the first report,
 * reading /proc/self/environ: at load time this calls its initialiser,
 * which the library does not export, found in its symbol table (Debian
 * ships libubsan.so with one). Without it a UBSan report from a sandboxed
 * process is a SIGSYS, which asan_daemon.t also reports.
 *
 * UBSan's print_stacktrace asks glibc for the thread's stack bounds on each
 * report; for the main thread pthread_getattr_np(3) reads /proc/self/maps.
 * The main thread's answer is taken before the sandbox and given again
 * afterwards (the main stack does not move).
 *
 * ASan calls sigaltstack(NULL, &old) before every noreturn call (exit(3),
 * fatal(), longjmp) to see whether it runs on a signal stack: control's
 * filter has no sigaltstack, so each exit would be a SIGSYS. Once a filter
 * is in, the question is answered from what this thread set (new threads
 * and exec start without one), as the kernel would: the hook replaces the
 * runtime's pointer to the real call, found like UBSan's initialiser.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int	__real_chroot(const char *);
int	__wrap_chroot(const char *);
int	__real_seccomp_load(void *);
int	__wrap_seccomp_load(void *);
int	__real_prctl(int, ...);
int	__wrap_prctl(int, ...);

#define ASAN_HOOK_MAXRT	4

typedef void	(*asan_hook_notify_fn)(void *);
typedef int	(*asan_hook_module_fn)(void *, char *, int, void **);

static struct {
	asan_hook_notify_fn	notify;
	asan_hook_module_fn	module;
} asan_hook_rt[ASAN_HOOK_MAXRT];
static int	asan_hook_nrt;
static int	asan_hook_sealed;	/* a filter is in: open may kill */
static void	*asan_hook_stackaddr;	/* the main thread's stack */
static size_t	 asan_hook_stacksize;
static pthread_t asan_hook_main;
static int	(*asan_hook_real_sigaltstack)(const stack_t *, stack_t *);
static __thread stack_t asan_hook_altstack = { .ss_flags = SS_DISABLE };

/* The address of the (local) symbol name in the library at path, or NULL. */
static void *
asan_hook_symbol(const char *path, ElfW(Addr) base, const char *name)
{
	const ElfW(Ehdr)	*eh;
	const ElfW(Shdr)	*sh, *strsh;
	const ElfW(Sym)		*sym;
	const char		*strtab;
	struct stat		 st;
	void			*map, *addr = NULL;
	size_t			 i, j, n;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || (size_t)st.st_size < sizeof(*eh) ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	close(fd);
	eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) >
	    (size_t)st.st_size)
		goto out;
	sh = (const ElfW(Shdr) *)((const char *)map + eh->e_shoff);
	for (i = 0; i < eh->e_shnum && addr == NULL; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		strsh = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > (size_t)st.st_size ||
		    strsh->sh_offset + strsh->sh_size > (size_t)st.st_size)
			continue;
		sym = (const ElfW(Sym) *)((const char *)map + sh[i].sh_offset);
		strtab = (const char *)map + strsh->sh_offset;
		n = sh[i].sh_size / sizeof(*sym);
		for (j = 0; j < n; j++)
			if (sym[j].st_value != 0 &&
			    sym[j].st_name < strsh->sh_size &&
			    strncmp(strtab + sym[j].st_name, name,
			    strsh->sh_size - sym[j].st_name) == 0) {
				addr = (void *)(base + sym[j].st_value);
				break;
			}
	}
 out:
	munmap(map, (size_t)st.st_size);
	return addr;
}

/* What sigaltstack(2) would say or do, without a system call when it can. */
static int
asan_hook_sigaltstack(const stack_t *ss, stack_t *old)
{
	const char	*sp = (const char *)&ss;
	const char	*lo;
	int		 rv;

	if (ss == NULL && old != NULL && asan_hook_sealed) {
		*old = asan_hook_altstack;
		lo = asan_hook_altstack.ss_sp;
		if ((old->ss_flags & SS_DISABLE) == 0 && sp >= lo &&
		    sp < lo + asan_hook_altstack.ss_size)
			old->ss_flags = SS_ONSTACK;
		return 0;
	}
	if ((rv = asan_hook_real_sigaltstack(ss, old)) == 0) {
		if (ss != NULL && (ss->ss_flags & SS_DISABLE) != 0) {
			memset(&asan_hook_altstack, 0,
			    sizeof(asan_hook_altstack));
			asan_hook_altstack.ss_flags = SS_DISABLE;
		} else if (ss != NULL) {
			asan_hook_altstack = *ss;
			asan_hook_altstack.ss_flags = 0;
		} else if (old != NULL) {
			asan_hook_altstack = *old;
			asan_hook_altstack.ss_flags &= SS_DISABLE;
		}
	}
	return rv;
}

static int
asan_hook_find(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char	*base;
	void		*h, *init, **real;

	(void)size;
	(void)arg;
	if (info->dlpi_name == NULL || asan_hook_nrt == ASAN_HOOK_MAXRT)
		return 0;
	if ((base = strrchr(info->dlpi_name, '/')) == NULL)
		base = info->dlpi_name;
	else
		base++;
	if (strncmp(base, "libasan.so", 10) != 0 &&
	    strncmp(base, "libubsan.so", 11) != 0)
		return 0;
	if ((h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD)) == NULL)
		return 0;
	if (strncmp(base, "libasan", 7) == 0) {
		real = asan_hook_symbol(info->dlpi_name, info->dlpi_addr,
		    "_ZN14__interception16real_sigaltstackE");
		if (real == NULL || *real == NULL)
			fprintf(stderr, "vmd-asan: no sigaltstack pointer in %s: "
			    "exit(3) after a filter may be a SIGSYS\n",
			    info->dlpi_name);
		else {
			asan_hook_real_sigaltstack = (int (*)(const stack_t *,
			    stack_t *))*real;
			*real = (void *)(uintptr_t)asan_hook_sigaltstack;
		}
	}
	if (strncmp(base, "libubsan", 8) == 0) {
		if ((init = asan_hook_symbol(info->dlpi_name, info->dlpi_addr,
		    "_ZN7__ubsan16InitAsStandaloneEv")) == NULL)
			fprintf(stderr, "vmd-asan: no UBSan initialiser in %s: "
			    "UBSan reports from sandboxed processes are lost\n",
			    info->dlpi_name);
		else
			((void (*)(void))init)();
	}
	/* dlsym on the handle: this runtime's copy, not the first one. */
	asan_hook_rt[asan_hook_nrt].notify = (asan_hook_notify_fn)dlsym(h,
	    "__sanitizer_sandbox_on_notify");
	asan_hook_rt[asan_hook_nrt].module = (asan_hook_module_fn)dlsym(h,
	    "__sanitizer_get_module_and_offset_for_pc");
	asan_hook_nrt++;
	return 0;
}

__attribute__((constructor)) static void
asan_hook_init(void)
{
	asan_hook_main = pthread_self();
	dl_iterate_phdr(asan_hook_find, NULL);
}

/* Build the module lists and cache the maps while /proc is reachable. */
static void
asan_hook_prepare(void)
{
	pthread_attr_t	 attr;
	char		 name[256];
	void		*off, *addr;
	size_t		 size;
	int		 i;

	if (asan_hook_sealed)
		return;
	if (pthread_equal(pthread_self(), asan_hook_main) &&
	    asan_hook_stackaddr == NULL &&
	    pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			asan_hook_stackaddr = addr;
			asan_hook_stacksize = size;
		}
		pthread_attr_destroy(&attr);
	}
	for (i = 0; i < asan_hook_nrt; i++) {
		if (asan_hook_rt[i].notify != NULL)
			asan_hook_rt[i].notify(NULL);
		if (asan_hook_rt[i].module != NULL)
			(void)asan_hook_rt[i].module(
			    (void *)(uintptr_t)asan_hook_prepare, name,
			    sizeof(name), &off);
	}
}

int
__wrap_chroot(const char *dir)
{
	asan_hook_prepare();
	return __real_chroot(dir);
}

int
__wrap_seccomp_load(void *ctx)
{
	int	rv;

	asan_hook_prepare();
	if ((rv = __real_seccomp_load(ctx)) == 0)
		asan_hook_sealed = 1;
	return rv;
}

int
__wrap_prctl(int option, ...)
{
	va_list		ap;
	unsigned long	a[4];
	int		i, rv;

	/* prctl(2) takes up to four more arguments; glibc reads them so. */
	va_start(ap, option);
	for (i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_NO_NEW_PRIVS || option == PR_SET_SECCOMP)
		asan_hook_prepare();
	rv = __real_prctl(option, a[0], a[1], a[2], a[3]);
	if (rv == 0 && option == PR_SET_SECCOMP)
		asan_hook_sealed = 1;
	return rv;
}

/* Sanitizer runtimes and vmd alike get the cached main stack once sandboxed. */
int
pthread_getattr_np(pthread_t t, pthread_attr_t *attr)
{
	static int	(*real)(pthread_t, pthread_attr_t *);
	int		 rv;

	/* No system call here: control's filter has no gettid. */
	if (asan_hook_stackaddr != NULL && pthread_equal(t, asan_hook_main) &&
	    pthread_equal(t, pthread_self())) {
		if ((rv = pthread_attr_init(attr)) != 0)
			return rv;
		return pthread_attr_setstack(attr, asan_hook_stackaddr,
		    asan_hook_stacksize);
	}
	if (real == NULL && (real = (int (*)(pthread_t, pthread_attr_t *))
	    dlsym(RTLD_NEXT, "pthread_getattr_np")) == NULL)
		return ENOSYS;
	return real(t, attr);
}
