/* SPDX-License-Identifier: ISC */
/* Unit tests for the MSI routes and irqfds of vm/kvm.c, on /dev/kvm. */
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper/tap.h"
#include "vm/kvm.h"
#include "vm/vm.h"

/* line_routed: KVM_IRQ_LINE_STATUS on gsi: -1 when it has no route. */
static int
line_routed(struct vm *vm, int gsi)
{
	struct kvm_irq_level	irq;

	memset(&irq, 0, sizeof(irq));
	irq.irq = (uint32_t)gsi;
	irq.level = 1;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE_STATUS, &irq) == -1)
		return 0;
	if (irq.status == -1)
		return 0;
	irq.level = 0;
	(void)ioctl(vm->vm_fd, KVM_IRQ_LINE_STATUS, &irq);
	return 1;
}

int
main(void)
{
	struct vm	vm;
	uint64_t	one = 1;
	int		gsi, gsi2, efd;

	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = -1;
	if (access("/dev/kvm", R_OK | W_OK) == -1 ||
	    (vm.kvm_fd = kvm_open()) == -1) {
		printf("1..0 # SKIP no usable /dev/kvm\n");
		return 0;
	}
	if (mem_init(&vm.mem, 16ULL << 20) == -1 || kvm_create_vm(&vm) == -1) {
		tap_ok(0, "a KVM VM with an irqchip");
		return tap_done();
	}
	tap_ok(vm.routes != NULL, "MSI routing available");
	if (vm.routes == NULL)
		return tap_done();
	/* IOAPIC-only lines report -1 while masked: test through the PICs. */
	tap_ok(line_routed(&vm, 4) && line_routed(&vm, 9),
	    "ISA lines reach the PICs at first");
	gsi = kvm_gsi_alloc(&vm);
	gsi2 = kvm_gsi_alloc(&vm);
	tap_ok(gsi >= 24 && gsi2 == gsi + 1, "GSIs above the IOAPIC's "
	    "(%d, %d)", gsi, gsi2);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	tap_is(kvm_irqfd(&vm, efd, gsi, 0), 0, "irqfd on the first GSI");
	tap_is(kvm_msi_route(&vm, gsi, 0xfee00000ULL, 0x4041), 0,
	    "MSI route set");
	tap_is(kvm_msi_route(&vm, gsi, 0xfee01000ULL, 0x4042), 0,
	    "MSI route changed");
	tap_is(kvm_msi_route(&vm, gsi2, 0xfee00000ULL, 0x4043), 0,
	    "second MSI route");
	errno = 0;
	tap_ok(kvm_msi_route(&vm, 4, 0xfee00000ULL, 0x40) == -1 &&
	    errno == EINVAL, "an irqchip GSI is not rerouted");
	tap_ok(line_routed(&vm, 4) && line_routed(&vm, 9),
	    "and still after MSI routes were added");
	tap_ok(!line_routed(&vm, 200), "an unrouted GSI is not");
	tap_ok(write(efd, &one, sizeof(one)) == sizeof(one),
	    "irqfd written");
	tap_is(kvm_irqfd(&vm, efd, gsi, 1), 0, "irqfd deassigned");
	kvm_routes_free(&vm);
	close(efd);
	return tap_done();
}
