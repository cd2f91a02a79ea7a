/* SPDX-License-Identifier: ISC */
/* libFuzzer harness: a hostile guest's port I/O against every device. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "helper/fakevm.h"
#include "vm/devices.h"
#include "vm/dev/uart.h"
#include "vm/platform.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Where the ports are, so most inputs hit a device. */
static const uint16_t fuzz_bases[] = {
	PLAT_COM1_PORT, PLAT_RTC_PORT, PLAT_I8042_DATA, PLAT_I8042_CMD,
	PLAT_PM_BASE, PLAT_PCI_CONFIG_ADDR, PLAT_PCI_CONFIG_DATA,
	PLAT_DEBUG_PORT, PLAT_RESET_PORT,
};

/*
 * Devices live as long as their VM process and have no teardown, so the
 * harness builds one VM and lets inputs continue where the last stopped:
 * a long-lived hostile guest.
 */
static struct vm	fuzz_vm;
static int		fuzz_ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vm	*vm = &fuzz_vm;
	uint8_t		 io[8];
	size_t		 sizes[] = { 1, 2, 4 };
	size_t		 i, sz;
	uint16_t	 port;

	if (!fuzz_ready) {
		fakevm_init(vm);
		vm->params.memsize = 256ULL << 20;
		vm->params.ncpus = 2;
		vm->params.con_out = open("/dev/null", O_WRONLY);
		if (devices_init(vm) == -1)
			__builtin_trap();
		fuzz_ready = 1;
	}
	/* Each op: kind, base index, offset, 4 value bytes. */
	for (i = 0; i + 7 <= len; i += 7) {
		sz = sizes[(data[i] & 3) % 3];
		port = (uint16_t)(fuzz_bases[data[i + 1] %
		    (sizeof(fuzz_bases) / sizeof(fuzz_bases[0]))] +
		    (data[i + 2] & 0xf));
		memcpy(io, data + i + 3, 4);
		switch ((data[i] >> 2) & 7) {
		case 0:
		case 1:
		case 2:
			(void)bus_dispatch(&vm->pio, port, 1, io, sz);
			break;
		case 3:
		case 4:
		case 5:
			(void)bus_dispatch(&vm->pio, port, 0, io, sz);
			break;
		case 6:
			if (vm->pm != NULL)
				pm_power_button(vm->pm);
			if (vm->i8042 != NULL)
				i8042_ctrl_alt_del(vm->i8042);
			break;
		default:
			if (uart_get(vm) != NULL)
				(void)uart_rx_feed(uart_get(vm), io, 4);
			break;
		}
		/* A device may end the VM; the fuzzer keeps going anyway. */
		atomic_store(&vm->exit_status, -1);
	}
	return 0;
}
