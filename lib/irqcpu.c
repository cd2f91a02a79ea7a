/* SPDX-License-Identifier: ISC */
/*
 * Where a file's disk takes its interrupts: the CPUs the kernel delivers
 * the completion interrupts of the block device under a file to, read
 * from sysfs (the device's PCI function and its MSI vectors) and procfs
 * (each vector's effective affinity). Both are world-readable.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irqcpu.h"

/* irqcpu_read: the first line of path into buf, without its newline. */
static int
irqcpu_read(const char *path, char *buf, size_t len)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	(void)fclose(f);
	if (!ok) {
		errno = ENODATA;
		return -1;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int
irqcpu_parse(const char *list, cpu_set_t *set)
{
	const char	*p = list;
	char		*end;
	unsigned long	 lo, hi, c;

	CPU_ZERO(set);
	for (;;) {
		errno = 0;
		lo = strtoul(p, &end, 10);
		if (end == p || errno != 0)
			goto bad;
		hi = lo;
		p = end;
		if (*p == '-') {
			hi = strtoul(++p, &end, 10);
			if (end == p || errno != 0 || hi < lo)
				goto bad;
			p = end;
		}
		if (hi >= CPU_SETSIZE)
			goto bad;
		for (c = lo; c <= hi; c++)
			CPU_SET(c, set);
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	errno = EINVAL;
	return -1;
}

/*
 * irqcpu_pci: the directory of the PCI function above the block device
 * dev (a partition's disk), the first ancestor of its device with
 * msi_irqs, into pci.
 */
static int
irqcpu_pci(dev_t dev, char pci[PATH_MAX])
{
	char	 link[64], path[PATH_MAX], try[PATH_MAX + 16], *slash;

	(void)snprintf(link, sizeof(link), "/sys/dev/block/%u:%u",
	    major(dev), minor(dev));
	if (realpath(link, path) == NULL)
		return -1;
	(void)snprintf(try, sizeof(try), "%s/partition", path);
	if (access(try, F_OK) == 0 && (slash = strrchr(path, '/')) != NULL)
		*slash = '\0';
	(void)snprintf(try, sizeof(try), "%s/device", path);
	if (realpath(try, pci) == NULL)
		return -1;
	while (strncmp(pci, "/sys/devices/", 13) == 0) {
		(void)snprintf(try, sizeof(try), "%s/msi_irqs", pci);
		if (access(try, F_OK) == 0)
			return 0;
		if ((slash = strrchr(pci, '/')) == NULL)
			break;
		*slash = '\0';
	}
	errno = ENODEV;
	return -1;
}

int
irqcpu_of_fd(int fd, cpu_set_t *set)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	cpu_set_t	 one;
	char		 pci[PATH_MAX], path[PATH_MAX + 32], buf[256];
	dev_t		 dev;

	CPU_ZERO(set);
	if (fstat(fd, &st) == -1)
		return -1;
	dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
	if (major(dev) == 0) {
		errno = ENODEV;		/* tmpfs, overlay: no disk */
		return -1;
	}
	if (irqcpu_pci(dev, pci) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/msi_irqs", pci);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		/* A vector's handler names its queue; virtio's config one. */
		(void)snprintf(path, sizeof(path), "/sys/kernel/irq/%s/actions",
		    de->d_name);
		if (irqcpu_read(path, buf, sizeof(buf)) == -1 ||
		    buf[0] == '\0' || strstr(buf, "config") != NULL)
			continue;
		(void)snprintf(path, sizeof(path),
		    "/proc/irq/%s/effective_affinity_list", de->d_name);
		if (irqcpu_read(path, buf, sizeof(buf)) == -1 ||
		    irqcpu_parse(buf, &one) == -1)
			continue;
		CPU_OR(set, set, &one);
	}
	(void)closedir(d);
	if (CPU_COUNT(set) == 0) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}
