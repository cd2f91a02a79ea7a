/* SPDX-License-Identifier: ISC */
/* Temporary. */
#include "guest.h"
void check_smp(void) {}
void check_rtc(void) {}
void check_uart_irq(void) {}
void check_hostile(void) {}
void ap_main(uint64_t);
void ap_main(uint64_t x) { (void)x; sys(SYS_PARK, 0, 0); for (;;); }
