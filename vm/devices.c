/* SPDX-License-Identifier: ISC */
/* The one ordered list of devices a VM gets. */
#include <stddef.h>

#include "log.h"
#include "devices.h"
#include "vm.h"
#include "virtio/virtio.h"

static const struct {
	const char	*name;
	int		(*init)(struct vm *);
} devices[] = {
	{ "debugport",	debugport_init },
	{ "fwlog",	fwlog_init },
	{ "uart",	uart_init },
	{ "rtc",	rtc_init },
	{ "i8042",	i8042_init },
	{ "pm",		pm_init },
	{ "pci",	pci_init },
	{ "virtio-rng",	virtio_rng_init },
	{ "virtio-blk",	virtio_blk_init },
	{ "virtio-net",	virtio_net_init },
	{ "virtio-scsi", virtio_scsi_init },
	{ "fw_cfg",	fwcfg_init },	/* last: it lists the boot devices */
};

int
devices_init(struct vm *vm)
{
	size_t	i;

	for (i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		if (devices[i].init(vm) == -1) {
			log_warn("%s: %s", __func__, devices[i].name);
			return -1;
		}
	}
	return 0;
}
