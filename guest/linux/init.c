/* SPDX-License-Identifier: ISC */
/*
 * /sbin/init of the root file system the linux_*.t tests make: say that
 * user space runs, then power off (only as pid 1: run on a host by mistake
 * it just exits). Static, no libc.
 * On KVM-PVM hosts the first SYSCALL from user mode faults, so the kernel
 * reports init's death instead (guest/linux/README.md).
 */

#define SYS_WRITE		1
#define SYS_GETPID		39
#define SYS_EXIT		60
#define SYS_REBOOT		169
#define LINUX_REBOOT_MAGIC1	0xfee1deadL
#define LINUX_REBOOT_MAGIC2	672274793L
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcL

void	_start(void);

static long
init_syscall4(long nr, long a, long b, long c, long d)
{
	register long	r10 __asm__("r10") = d;
	long		ret;

	__asm__ volatile("syscall"
	    : "=a"(ret)
	    : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
	    : "rcx", "r11", "memory");
	return ret;
}

void
_start(void)
{
	static const char	msg[] = "vmd-linux-init: user space runs\n";

	init_syscall4(SYS_WRITE, 1, (long)msg, sizeof(msg) - 1, 0);
	if (init_syscall4(SYS_GETPID, 0, 0, 0, 0) != 1)
		init_syscall4(SYS_EXIT, 1, 0, 0, 0);
	init_syscall4(SYS_REBOOT, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	    LINUX_REBOOT_CMD_POWER_OFF, 0);
	for (;;)
		;
}
