/* SPDX-License-Identifier: ISC */
/* Declarations shared by the test guest's files. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define CPL0		__attribute__((section(".bss.cpl0")))

/* Boot parameters ("zero page") offsets. */
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_ACPI_RSDP		0x070
#define BP_E820_ENTRIES		0x1e8
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_E820_TABLE		0x2d0

/* The PVH start of day (Xen's hvm_start_info, version 1). */
#define PVH_MAGIC		0x336ec578

struct e820_entry {
	uint64_t	addr;
	uint64_t	size;
	uint32_t	type;
} __attribute__((packed));

/* What trap_common pushes, then what the CPU pushed. */
struct trapframe {
	uint64_t	r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t	rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t	vector, err;
	uint64_t	rip, cs, rflags, rsp, ss;
};

/* System calls: UD2 at CPL3 with the number in RAX (trap.c). */
#define SYS_RDMSR	1	/* (msr) -> value */
#define SYS_WRMSR	2	/* (msr, value) */
#define SYS_PARK	3	/* halt forever, interrupts off */
#define SYS_STIHLT	4	/* STI; HLT; CLI once at CPL0 */
#define SYS_CPUID	5	/* (leaf, subleaf) -> eax..edx, see cpuid0 */
#define SYS_SETIF	6	/* (on): set or clear IF in caller's RFLAGS */

static inline uint64_t
sys(uint64_t nr, uint64_t a, uint64_t b)
{
	uint64_t	ret;

	__asm__ volatile("ud2" : "=a"(ret) : "a"(nr), "D"(a), "S"(b)
	    : "memory");
	return ret;
}

static inline void
outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void
outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void
outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t
inb(uint16_t port)
{
	uint8_t	v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t
inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t
inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t
mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void
mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline void
cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void
cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]),
	    "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/*
 * cpuid0: CPUID executed at CPL0.  On KVM-PVM, CPUID at CPL3 runs natively
 * and returns the host's values (its APIC ids, its features).
 */
static inline void
cpuid0(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("ud2" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]),
	    "=d"(r[3]) : "a"(SYS_CPUID), "D"(leaf), "S"(sub) : "memory");
}

static inline uint64_t
read_rflags(void)
{
	uint64_t	 f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/* entry.S */
extern uint64_t		 boot_zeropage;
extern uint64_t		 boot_startinfo;
extern uint32_t		 boot_entry;
extern uint32_t		 boot_pvh_state[3];	/* EFLAGS, CR0, CR4 */
extern uint32_t		 ap_ticket;
extern uint64_t		 pml4[], pdpt[];
extern uint64_t		 gdt[];
extern char		 trap_stubs[];
extern char		 trampoline_start[], trampoline_end[];
extern char		 _bss_start[], _bss_end[], _end[];
void			 enter_user(void (*)(uint64_t), uint64_t, uint64_t)
			    __attribute__((noreturn));

/* cpu.c: CPL0 set-up, and the CPL3 half (IDT, TSS and GDT contents). */
void			 cpu_boot(void) __attribute__((noreturn));
void			 ap_main(uint64_t) __attribute__((noreturn));
void			 ap_boot(uint32_t) __attribute__((noreturn));
void			 cpu_idt_init(void);
int			 cpu_map_range(uint64_t, uint64_t);
void			 cpu_triple_fault(void);

/* trap.c */
typedef void		(*irq_fn)(unsigned int);
extern volatile uint64_t irq_count[256];
extern irq_fn		 irq_handler[256];
void			 trap(struct trapframe *);

/* lib.c */
void			*memset(void *, int, size_t);
void			*memcpy(void *, const void *, size_t);
int			 memcmp(const void *, const void *, size_t);
size_t			 strlen(const char *);
int			 strncmp(const char *, const char *, size_t);
int			 vsnprintf(char *, size_t, const char *, va_list);
int			 snprintf(char *, size_t, const char *, ...)
			    __attribute__((format(printf, 3, 4)));
int			 parse_u64(const char *, size_t, uint64_t *);
void			 spin_lock(volatile int *);
void			 spin_unlock(volatile int *);

/* serial.c: COM1 console, polled, and the TAP helpers. */
void			 serial_init(void);
void			 serial_write(const char *, size_t);
void			 printf(const char *, ...)
			    __attribute__((format(printf, 1, 2)));
int			 tap_ok(int, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
void			 tap_skip(const char *, ...)
			    __attribute__((format(printf, 1, 2)));
void			 tap_plan(void);
extern int		 verbose;
void			 diag(const char *, ...)
			    __attribute__((format(printf, 1, 2)));

/* time.c: TSC-based delays, calibrated against the ACPI PM timer. */
uint64_t		 time_us(void);
void			 delay_us(uint64_t);

/* bootinfo.c: boot_params as the loader left them. */
extern uint8_t		 bootparams[4096];
extern int		 bootinfo_fwcfg;
/* What a PVH loader handed over (hvm_start_info), when it did. */
struct pvh_info {
	uint32_t	 magic, version, nr_modules, memmap_entries;
	uint64_t	 modlist, cmdline, rsdp, memmap;
};
extern struct pvh_info	 bootinfo_pvh;
void			 bootinfo_init(void);
uint32_t		 bp32(unsigned int);
uint64_t		 bp64(unsigned int);

/* cmdline.c */
void			 cmdline_init(void);
const char		*cmdline(void);
int			 cmdline_get(const char *, char *, size_t);
int			 cmdline_u64(const char *, uint64_t *);
int			 cmdline_check(const char *, int);

/* acpi.c */
struct acpi_info {
	uint64_t	 rsdp, xsdt, rsdt, fadt, madt, dsdt;
	int		 ok;		/* every checksum good */
	uint32_t	 lapic_addr;
	int		 ncpus;		/* enabled LAPIC/x2APIC entries */
	uint32_t	 apic_ids[MAX_CPUS];
	uint64_t	 ioapic_addr;
	uint32_t	 ioapic_gsi_base;
	uint32_t	 isa_gsi[16];	/* ISA IRQ -> GSI, after overrides */
	uint16_t	 isa_flags[16];	/* MPS INTI flags of the override */
	uint16_t	 sci_irq;
	uint16_t	 pm1a_evt, pm1a_cnt;
	uint32_t	 pm_tmr;
	uint32_t	 fadt_flags;
	int		 reset_space;	/* 0 memory, 1 I/O, -1 none */
	uint64_t	 reset_addr;
	uint8_t		 reset_value;
	int		 sleep_space;	/* hardware-reduced SLEEP_CONTROL_REG */
	uint64_t	 sleep_addr;
	int		 slp_typ_s5;	/* -1 if \_S5_ not found */
	uint8_t		 century;
};
#define FADT_HW_REDUCED		(1U << 20)
extern struct acpi_info	 acpi;
void			 acpi_init(void);
int			 acpi_checksum(const void *, size_t);
void			 acpi_poweroff(void);
void			 acpi_reset(void);
void			 io_write(int, uint64_t, uint8_t);

/* apic.c: LAPIC and IOAPIC, xAPIC (MMIO at CPL3) or x2APIC (MSR). */
extern int		 apic_x2;
void			 apic_init(void);
uint32_t		 apic_read(uint32_t);
void			 apic_write(uint32_t, uint32_t);
uint32_t		 apic_id(int);
uint32_t		 apic_lapic_id(void);
void			 apic_icr(uint32_t, uint32_t);
void			 apic_eoi(void);
void			 ioapic_route(uint32_t, uint8_t, uint16_t, uint32_t);
void			 ioapic_mask(uint32_t);

/* smp.c */
void			 check_smp(void);

/* checks */
void			 check_entry(void);
void			 check_e820(void);
void			 check_cmdline(void);
void			 check_initrd(void);
void			 check_acpi(void);
void			 check_rtc(void);
void			 check_uart_irq(void);
void			 check_virtio_rng(void);
void			 check_blk(void);
void			 check_net(void);
void			 check_dhcp(void);
void			 check_virtio_hostile(void);
void			 check_blk_bench(void);
void			 check_net_bench(void);
void			 check_net_rx_bench(void);
void			 check_net_offload(void);
void			 check_net_rx_offload(void);
void			 check_net_tcp_bench(void);
void			 check_exits(void);
void			 check_hostile(void);

/* power.c */
void			 power_end(void) __attribute__((noreturn));

/* main.c */
void			 user_main(uint64_t) __attribute__((noreturn));

#endif /* GUEST_H */
