/* SPDX-License-Identifier: ISC */
/* The CMOS RTC: host-side entry points besides rtc_init. */
#ifndef VM_DEV_RTC_H
#define VM_DEV_RTC_H

struct vm;
struct rtc;

/* rtc_get: the RTC rtc_init registered on vm->pio, or NULL. */
struct rtc	*rtc_get(struct vm *);
/*
 * rtc_free: release the RTC's timer and state. Only once the device event
 * thread and the vCPUs have stopped; the bus range is left dangling.
 */
void		 rtc_free(struct rtc *);

#endif /* VM_DEV_RTC_H */
