/* SPDX-License-Identifier: ISC */
/*
 * The instructions KVM's x86 emulator lacks that firmware and bootloaders
 * run at CPL 0. On a host whose KVM emulates all guest kernel-mode code
 * (KVM-PVM) such an instruction ends KVM_RUN with an emulation failure;
 * the vCPU thread then runs it here, on the registers and guest memory,
 * and enters the guest again. Handled: IRET and IRETD in protected mode
 * without paging that return to the same privilege level (iPXE's
 * interrupt return). Everything else is refused.
 */
#ifndef VM_EMUL_H
#define VM_EMUL_H

#include <linux/kvm.h>

struct mem;

/*
 * emul_insn: run the instruction at CS:RIP on regs and sregs; guest
 * memory is read (and a descriptor's accessed bit written) through mem.
 * 0: done, regs and sregs hold the state after it. -1: nothing changed
 * (regs, sregs and guest memory as they were) and errno is ENOTSUP (an
 * instruction or a case not handled here), EFAULT (an address outside
 * guest RAM or beyond a segment's limit) or EINVAL (the CPU would raise
 * an exception: a bad selector or descriptor); *why then names the case
 * for the log.
 */
int	emul_insn(const struct mem *, struct kvm_regs *, struct kvm_sregs *,
	    const char **why);

#endif /* VM_EMUL_H */
