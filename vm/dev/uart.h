/* SPDX-License-Identifier: ISC */
/* The 16550A UART (COM1): host-side entry points besides uart_init. */
#ifndef VM_DEV_UART_H
#define VM_DEV_UART_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct uart;

/* uart_get: the UART uart_init registered on vm->pio, or NULL. */
struct uart	*uart_get(struct vm *);
/*
 * uart_rx_feed: bytes arriving on the serial line, as if from con_in.
 * What fits in the receive FIFO is queued (raising RDA); the rest is lost
 * and sets LSR.OE, as on the wire. Returns the number of bytes queued.
 * Any thread; takes the UART's lock.
 */
size_t		 uart_rx_feed(struct uart *, const uint8_t *, size_t);
/* uart_rx_room: free bytes in the receive FIFO (0 in loopback mode). */
size_t		 uart_rx_room(struct uart *);
/* uart_tx_drops: bytes the guest sent that con_out could not take. */
uint64_t	 uart_tx_drops(struct uart *);
/*
 * uart_free: release the UART's events and state. Only once the device
 * event thread and the vCPUs have stopped; the bus range is left dangling.
 */
void		 uart_free(struct uart *);

#endif /* VM_DEV_UART_H */
