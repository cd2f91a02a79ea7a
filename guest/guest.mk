# SPDX-License-Identifier: ISC
# The test guest (owned by guest/); builds $(B)/guest/testguest.
# Freestanding: no libc, own linker script, bzImage made with objcopy.
# The same code as ELF files: testguest.pvh (PVH entry note: booted in
# 32-bit mode through the PVH ABI) and testguest.elf64 (no note: entered
# at the ELF entry in 64-bit mode with a zero page).

GUEST_SRCS	:= guest/setup.S guest/entry.S guest/cpu.c guest/trap.c \
		   guest/lib.c guest/serial.c guest/time.c guest/cmdline.c \
		   guest/acpi.c guest/apic.c guest/power.c guest/main.c \
		   guest/bootinfo.c guest/smp.c guest/check_boot.c \
		   guest/check_rtc.c guest/check_irq.c guest/check_virtio.c \
		   guest/check_exits.c guest/check_hostile.c \
		   guest/virtio.c guest/check_blk.c guest/check_net.c \
		   guest/check_dhcp.c guest/check_netoff.c guest/check_tcp.c
GUEST_OBJS	:= $(GUEST_SRCS:guest/%=$(B)/guest/obj/%.o)
GUEST_CFLAGS	:= -std=c17 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie \
		   -mno-red-zone -mgeneral-regs-only -mcmodel=small \
		   -fno-stack-protector -fno-asynchronous-unwind-tables \
		   -fno-tree-loop-distribute-patterns -fcf-protection=none \
		   -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
		   -Iguest
GUEST_LDFLAGS	:= -nostdlib -static -no-pie -Wl,--build-id=none \
		   -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
		   -Wl,--no-warn-rwx-segments -T guest/guest.ld

.PHONY: guest
guest: $(B)/guest/testguest $(B)/guest/testguest.pvh \
    $(B)/guest/testguest.elf64 $(B)/guest/linux-init

$(B)/guest/obj/%.c.o: guest/%.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/guest/obj/%.S.o: guest/%.S
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/guest/testguest.elf: $(GUEST_OBJS) guest/guest.ld
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

# Written aside and renamed: tests running the guest never see half a file.
$(B)/guest/testguest: $(B)/guest/testguest.elf
	objcopy -O binary $< $@.tmp
	mv -f $@.tmp $@

$(B)/guest/testguest.pvh: $(B)/guest/testguest.elf
	objcopy -R .setup $< $@.tmp
	mv -f $@.tmp $@

$(B)/guest/testguest.elf64: $(B)/guest/testguest.elf
	objcopy -R .setup -R .note.Xen $< $@.tmp
	mv -f $@.tmp $@

# Header dependencies (the top Makefile includes only its own .d files).
-include $(GUEST_OBJS:.o=.d)

# /sbin/init of the linux_*.t root file system (guest/linux/README.md):
# a static user-mode program, no libc.
.PHONY: linux-init
linux-init: $(B)/guest/linux-init

$(B)/guest/linux-init: guest/linux/init.c
	@mkdir -p $(@D)
	$(CC) -std=c17 -O2 $(WARN) -ffreestanding -fno-pic -fno-pie \
	    -fno-stack-protector -fcf-protection=none -nostdlib -static \
	    -no-pie -Wl,--build-id=none -o $@.tmp $<
	mv -f $@.tmp $@

# The host side of net-rx-bench (bench/io.pl): a host program, not part
# of the guest, built with the host's compiler and flags.
guest: $(B)/guest/net-rx-sender
$(B)/guest/net-rx-sender: guest/tools/net-rx-sender.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lbsd

# The host's reference for blk-bench (bench/io.pl): the same requests by
# one host thread, no VM.
guest: $(B)/guest/blk-host
$(B)/guest/blk-host: guest/tools/blk-host.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -luring -lbsd
