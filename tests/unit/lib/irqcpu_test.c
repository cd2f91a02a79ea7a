/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/irqcpu.c: CPU lists as procfs writes them, and the
 * CPUs of a file's disk: none for memory (a memfd), and for a file on
 * this host's disk (the tree's Makefile) either CPUs that exist or a
 * reason.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "helper/tap.h"
#include "irqcpu.h"

static void
test_parse(void)
{
	static const char *const bad[] = { "", "a", "3-1", "0-", "1,,2",
	    "2x", "99999", "-1", "1," };
	cpu_set_t	s;
	size_t		i;

	tap_ok(irqcpu_parse("1", &s) == 0 && CPU_COUNT(&s) == 1 &&
	    CPU_ISSET(1, &s), "parse: 1");
	tap_ok(irqcpu_parse("0-3,8,10-11", &s) == 0 && CPU_COUNT(&s) == 7 &&
	    CPU_ISSET(3, &s) && CPU_ISSET(8, &s) && CPU_ISSET(11, &s) &&
	    !CPU_ISSET(9, &s), "parse: 0-3,8,10-11 is 7 CPUs");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		tap_ok(irqcpu_parse(bad[i], &s) == -1 && errno == EINVAL,
		    "parse: '%s' refused (EINVAL)", bad[i]);
	}
}

static void
test_fd(void)
{
	cpu_set_t	s;
	long		n = sysconf(_SC_NPROCESSORS_CONF);
	int		fd, r, i, ok;

	fd = memfd_create("irqcpu", MFD_CLOEXEC);
	errno = 0;
	tap_ok(fd != -1 && irqcpu_of_fd(fd, &s) == -1 && errno == ENODEV,
	    "memfd: no disk under it (ENODEV)");
	if (fd != -1)
		close(fd);
	/* A file of the tree: on whatever disk holds it. */
	if ((fd = open("Makefile", O_RDONLY | O_CLOEXEC)) == -1) {
		tap_ok(0, "the tree's Makefile");
		return;
	}
	errno = 0;
	r = irqcpu_of_fd(fd, &s);
	ok = r == 0 ? CPU_COUNT(&s) > 0 : (errno == ENODEV ||
	    errno == ENOENT);
	for (i = (int)n; r == 0 && i < CPU_SETSIZE; i++)
		ok &= !CPU_ISSET(i, &s);
	tap_ok(ok, "the tree's Makefile: %s", r == 0 ?
	    "CPUs that exist" : "no PCI disk with MSI under it");
	close(fd);
}

int
main(void)
{
	test_parse();
	test_fd();
	return tap_done();
}
