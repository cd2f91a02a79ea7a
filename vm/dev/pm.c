/* SPDX-License-Identifier: ISC */
/* ACPI fixed hardware: PM1a event/control, PM timer and reset register. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vm/devices.h"
#include "vm/platform.h"
#include "vm/vcpu.h"
#include "vm/vm.h"

/* PM1_STS and PM1_EN bits (ACPI 6.x, 4.8.4.1). */
#define PM1_TMR			0x0001
#define PM1_GBL			0x0020
#define PM1_PWRBTN		0x0100
#define PM1_RTC			0x0400
#define PM1_STS_W1C		0xc731	/* every defined status bit */
#define PM1_EN_MASK		(PM1_TMR | PM1_GBL | PM1_PWRBTN)
/*
 * RTC_EN is kept as written but RTC_STS is never set: the FADT says
 * FIX_RTC (no RTC wake status here). Linux's rtc-cmos enables the RTC
 * fixed event whatever the FADT says, and ACPICA logs "ACPI Error: Could
 * not enable RealTimeClock event" unless the bit reads back.
 */
#define PM1_EN_STORED		(PM1_EN_MASK | PM1_RTC)

/* PM1_CNT bits (ACPI 6.x, 4.8.4.2). */
#define PM1_CNT_SCI_EN		0x0001	/* no SMI_CMD: always set */
#define PM1_CNT_BM_RLD		0x0002
#define PM1_CNT_SLP_TYP_SHIFT	10
#define PM1_CNT_SLP_TYP		(0x7 << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN		0x2000	/* write-only */
#define PM1_CNT_STORED		(PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP)

#define PM_TMR_HZ		3579545ULL
#define PM_TMR_MASK		0xffffffU	/* 24 bits: TMR_VAL_EXT clear */
#define PM_NSEC			1000000000ULL

/*
 * The PM1a registers. Every field is guarded by lock, which is the bus
 * lock of all four ranges; pm_power_button takes it from other threads.
 */
struct pm {
	struct vm	*vm;
	pthread_mutex_t	 lock;
	uint16_t	 sts;		/* PM1_STS */
	uint16_t	 en;		/* PM1_EN */
	uint16_t	 cnt;		/* PM1_CNT, stored bits only */
	int		 sci;		/* level we drive on the SCI line */
};

static void	pm_reg_read(uint32_t, uint64_t, uint8_t *, size_t);
static uint32_t	pm_reg_write(uint64_t, const uint8_t *, size_t, uint32_t *);
static void	pm_sci_update(struct pm *);
static void	pm_evt_io(void *, uint64_t, int, uint8_t *, size_t);
static void	pm_cnt_io(void *, uint64_t, int, uint8_t *, size_t);
static void	pm_tmr_io(void *, uint64_t, int, uint8_t *, size_t);
static void	pm_reset_io(void *, uint64_t, int, uint8_t *, size_t);

/* pm_reg_read: copy bytes [off, off+len) of the register image v. */
static void
pm_reg_read(uint32_t v, uint64_t off, uint8_t *data, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(v >> (8 * (off + i)));
}

/*
 * pm_reg_write: the bytes written at off as a register image; *mask gets
 * the bits the access covered.
 */
static uint32_t
pm_reg_write(uint64_t off, const uint8_t *data, size_t len, uint32_t *mask)
{
	uint32_t	v = 0;
	size_t		i;

	*mask = 0;
	for (i = 0; i < len; i++) {
		v |= (uint32_t)data[i] << (8 * (off + i));
		*mask |= 0xffU << (8 * (off + i));
	}
	return v;
}

/* pm_sci_update: drive the level-triggered SCI from STS & EN. */
static void
pm_sci_update(struct pm *pm)
{
	int	level;

	level = (pm->sts & pm->en & PM1_EN_MASK) != 0;
	if (level == pm->sci)
		return;
	if (vcpu_irq_line(pm->vm, PLAT_SCI_IRQ, level) == -1)
		log_warnx("%s: SCI to %d failed", __func__, level);
	pm->sci = level;
}

/* pm_evt_io: PM1a_EVT_BLK, STS (write 1 to clear) then EN. */
static void
pm_evt_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct pm	*pm = arg;
	uint32_t	 v, mask;

	if (!is_write) {
		pm_reg_read((uint32_t)pm->sts | (uint32_t)pm->en << 16, off,
		    data, len);
		return;
	}
	v = pm_reg_write(off, data, len, &mask);
	pm->sts &= (uint16_t)~(v & mask & PM1_STS_W1C);
	mask >>= 16;
	v >>= 16;
	pm->en = (uint16_t)((pm->en & ~mask) | (v & mask & PM1_EN_STORED));
	pm_sci_update(pm);
}

/* pm_cnt_io: PM1a_CNT_BLK; SLP_EN with SLP_TYP S5 powers the VM off. */
static void
pm_cnt_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct pm	*pm = arg;
	uint32_t	 v, mask, cnt;
	int		 typ;

	if (!is_write) {
		pm_reg_read((uint32_t)pm->cnt | PM1_CNT_SCI_EN, off, data, len);
		return;
	}
	v = pm_reg_write(off, data, len, &mask);
	cnt = (pm->cnt & ~mask) | (v & mask);
	pm->cnt = (uint16_t)(cnt & PM1_CNT_STORED);
	if (!(v & mask & PM1_CNT_SLP_EN))
		return;
	typ = (int)((cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT);
	if (typ == PLAT_SLP_TYP_S5) {
		log_info("%s: guest entered S5, powering off", __func__);
		vcpu_request_exit(pm->vm, VM_EXIT_POWEROFF);
		return;
	}
	log_warnx("%s: sleep type %d not supported, ignored", __func__, typ);
}

/* pm_tmr_io: PM_TMR_BLK, a read-only 24-bit counter at 3.579545 MHz. */
static void
pm_tmr_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct pm	*pm = arg;
	uint64_t	 ns, ticks;

	if (is_write)
		return;
	ns = vcpu_uptime_ns(pm->vm);
	ticks = (ns / PM_NSEC) * PM_TMR_HZ + (ns % PM_NSEC) * PM_TMR_HZ /
	    PM_NSEC;
	pm_reg_read((uint32_t)ticks & PM_TMR_MASK, off, data, len);
}

/* pm_reset_io: the FADT RESET_REG; RESET_VALUE reboots the guest. */
static void
pm_reset_io(void *arg, uint64_t off, int is_write, uint8_t *data, size_t len)
{
	struct pm	*pm = arg;

	(void)off;
	if (!is_write || len != 1)
		return;
	if (data[0] == PLAT_RESET_VALUE) {
		log_info("%s: guest reset", __func__);
		vcpu_request_exit(pm->vm, VM_EXIT_REBOOT);
	}
}

void
pm_power_button(struct pm *pm)
{
	if (pm == NULL)
		return;
	pthread_mutex_lock(&pm->lock);
	pm->sts |= PM1_PWRBTN;
	if (!(pm->en & PM1_PWRBTN))
		log_debug("%s: guest has not enabled the power button",
		    __func__);
	pm_sci_update(pm);
	pthread_mutex_unlock(&pm->lock);
}

int
pm_init(struct vm *vm)
{
	static const struct {
		const char	*name;
		uint64_t	 base;
		uint64_t	 len;
		bus_io_fn	 fn;
	} ranges[] = {
		{ "pm1a-evt", PLAT_PM1A_EVT, PLAT_PM1A_EVT_LEN, pm_evt_io },
		{ "pm1a-cnt", PLAT_PM1A_CNT, PLAT_PM1A_CNT_LEN, pm_cnt_io },
		{ "pm-tmr", PLAT_PM_TMR, PLAT_PM_TMR_LEN, pm_tmr_io },
		{ "pm-reset", PLAT_RESET_PORT, 1, pm_reset_io },
	};
	struct pm	*pm;
	size_t		 i;

	if ((pm = calloc(1, sizeof(*pm))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	pm->vm = vm;
	pthread_mutex_init(&pm->lock, NULL);
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (bus_register(&vm->pio, ranges[i].name, ranges[i].base,
		    ranges[i].len, ranges[i].fn, pm, &pm->lock) == -1) {
			log_warn("%s: %s at 0x%llx", __func__, ranges[i].name,
			    (unsigned long long)ranges[i].base);
			/* Earlier ranges still point at pm: keep it. */
			if (i == 0) {
				pthread_mutex_destroy(&pm->lock);
				free(pm);
			}
			return -1;
		}
	}
	vm->pm = pm;
	return 0;
}
