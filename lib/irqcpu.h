/* SPDX-License-Identifier: ISC */
/* Where a file's disk takes its completion interrupts. */
#ifndef LIB_IRQCPU_H
#define LIB_IRQCPU_H

#include <sched.h>

/*
 * irqcpu_of_fd: into set, the CPUs that take the interrupts of the block
 * device holding fd's file (or of fd, a block device): the effective
 * affinity of its PCI function's MSI vectors, but those without a
 * handler or whose handler is named for configuration (virtio's
 * "virtioN-config"). 0, or -1 with errno (ENODEV: no PCI block device
 * under it, as for tmpfs or device-mapper; ENOENT: no vector found).
 */
int	irqcpu_of_fd(int fd, cpu_set_t *set);

/* irqcpu_parse: a CPU list ("0-3,8") into set. 0, or -1 (EINVAL). */
int	irqcpu_parse(const char *list, cpu_set_t *set);

#endif /* LIB_IRQCPU_H */
