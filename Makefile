# vmd for Linux. `make` builds into build/; see README.md.

CC	?= cc
B	:= build
WARN	:= -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	   -Wshadow -Wpointer-arith -Wcast-qual -Wformat=2 -Wwrite-strings
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c17 -D_GNU_SOURCE $(WARN) -I. -Ilib -pthread \
	   -isystem /usr/include/bsd -DLIBBSD_OVERLAY
LDLIBS	:= -levent -levent_pthreads -lbsd -lseccomp -pthread
LDLIBS	+= -lmnl -lz -luring
# vmd and vmctl: these libraries linked in statically (Debian's -dev
# packages ship the archives), libc and libmnl (no archive) shared: fewer
# objects for the dynamic loader to map and relocate at each exec.
PROG_LDLIBS := -Wl,-O1,--as-needed -Wl,-Bstatic -levent_pthreads -levent \
	   -lbsd -lmd -lseccomp -lz -luring -Wl,-Bdynamic -lmnl -pthread
# The VM process program (vmd-vm) is linked statically: no dynamic loader
# at its start, no shared library mapped (bench/README.md: start-up and
# memory). It needs none of vmd's NSS (user names) or dlopen (libnftables).
VMVM_LDLIBS := -static -levent_pthreads -levent_core -lbsd -lmd -lseccomp \
	   -lz -luring -pthread
# `make V=1` shows the commands.
V	?= 0
ifeq ($(V),0)
Q	:= @
else
Q	:=
endif
ASAN	:= -fsanitize=address,undefined -fno-omit-frame-pointer

# One list of sources per program.
DISK_SRCS	:= lib/disk/disk.c lib/disk/raw.c lib/disk/qcow2.c \
		   lib/disk/qcow2_meta.c lib/disk/qcow2_walk.c lib/disk/chain.c \
		   lib/disk/aio.c lib/uring.c
LIB_SRCS	:= lib/log.c lib/util.c lib/imsg.c lib/proto.c lib/proc.c \
		   lib/sandbox.c lib/launch.c lib/irqcpu.c $(DISK_SRCS)
VM_SRCS		:= vm/vm.c vm/vcpu.c vm/emul.c vm/kvm.c vm/mem.c vm/bus.c vm/boot.c \
		   vm/boot_elf.c \
		   vm/acpi.c vm/tblbuf.c vm/mptable.c vm/smbios.c vm/devices.c vm/jail.c \
		   vm/jail_rules.c \
		   vm/dev/debugport.c vm/dev/fwlog.c vm/dev/uart.c vm/dev/rtc.c \
		   vm/dev/i8042.c vm/dev/pm.c vm/dev/pci.c vm/dev/fwcfg.c \
		   vm/dev/cdrom.c vm/virtio/virtq.c vm/virtio/pci.c \
		   vm/virtio/blk.c vm/virtio/pollwin.c vm/virtio/net.c vm/virtio/net_rx.c \
		   vm/virtio/rng.c vm/virtio/scsi.c
VMD_SRCS	:= vmd/vmd.c vmd/parent.c vmd/control.c vmd/vmm.c vmd/priv.c \
		   vmd/vms.c vmd/files.c vmd/netcfg.c vmd/start.c vmd/reload.c
VMCTL_SRCS	:= vmctl/vmctl.c vmctl/cmd.c vmctl/cmd_run.c vmctl/cmd_ctl.c \
		   vmctl/cmd_start.c vmctl/cmd_stop.c vmctl/cmd_status.c \
		   vmctl/cmd_console.c vmctl/cmd_pause.c vmctl/cmd_wait.c \
		   vmctl/cmd_load.c vmctl/cmd_reload.c vmctl/cmd_reset.c \
		   vmctl/cmd_log.c vmctl/cmd_create.c

# vm.conf: the data model plus the bison parser generated into $(B)/gen.
CONF_SRCS	:= vmd/config.c vmd/lifecycle.c
PARSE_C		:= $(B)/gen/vmd/parse.c

# Networking building blocks (issue 5): the VM process's DHCP server, local
# interface addressing, and host interfaces and NAT for the priv process.
NET_SRCS	:= vm/net/dhcp.c vm/net/tapio.c lib/localaddr.c vmd/netif.c vmd/nat.c

CORE_SRCS	:= $(LIB_SRCS) $(VM_SRCS) $(CONF_SRCS) $(NET_SRCS)
CORE_OBJS	:= $(CORE_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/vmd/parse.o
ASAN_OBJS	:= $(CORE_SRCS:%.c=$(B)/asan/%.o) $(B)/asan/vmd/parse.o
VMD_OBJS	:= $(VMD_SRCS:%.c=$(B)/obj/%.o)
VMCTL_OBJS	:= $(VMCTL_SRCS:%.c=$(B)/obj/%.o)

UNIT_SRCS	:= $(shell find tests/unit -name '*_test.c' 2>/dev/null)
UNIT_BINS	:= $(UNIT_SRCS:tests/%_test.c=$(B)/tests/%_test.t)
HELPER_SRCS	:= $(wildcard tests/helper/*.c)

PROGS		:= $(B)/vmd $(B)/vmctl $(B)/vmd-vm

.PHONY: all check demo deps check-linux bench bench-linux clean unit integ fuzz install
.PHONY: tools vmd-asan linux-kernel

all: $(PROGS) guest

include guest/guest.mk

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/asan/%.o: %.c
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  CC-ASAN $<"
	$(Q)$(CC) $(CFLAGS) $(ASAN) -O1 -MMD -MP -c -o $@ $<

$(PARSE_C): vmd/parse.y
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  BISON   $<"
	$(Q)bison -Wall -o $@ $<

$(B)/obj/vmd/parse.o: $(PARSE_C)
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/asan/vmd/parse.o: $(PARSE_C)
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  CC-ASAN $<"
	$(Q)$(CC) $(CFLAGS) $(ASAN) -O1 -MMD -MP -c -o $@ $<

# The VM process's seccomp filter, compiled by libseccomp at build time
# (vm/jail_gen.c checks the program and finds its run-time values):
# vm/jail.c loads it as it is (bench/README.md: 0.4 ms less to the
# guest's first instruction).
JAIL_GEN_SRCS	:= vm/jail_gen.c vm/jail_rules.c lib/sandbox.c lib/log.c
JAIL_BPF_H	:= $(B)/gen/vm/jail_bpf.h

$(B)/gen/jail_gen: $(JAIL_GEN_SRCS) vm/jail.h lib/sandbox.h
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  GEN     $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(JAIL_GEN_SRCS) -lseccomp -lbsd

$(JAIL_BPF_H): $(B)/gen/jail_gen
	@mkdir -p $(@D)
	$(Q)$(B)/gen/jail_gen >$@.tmp && mv $@.tmp $@

$(B)/obj/vm/jail.o $(B)/asan/vm/jail.o: $(JAIL_BPF_H)
$(B)/obj/vm/jail.o $(B)/asan/vm/jail.o: CFLAGS += -I$(B)/gen

$(B)/libcore.a: $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/libcore-asan.a: $(ASAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/vmd: $(VMD_OBJS) $(B)/libcore.a
	$(CC) $(CFLAGS) -o $@ $(VMD_OBJS) $(B)/libcore.a $(PROG_LDLIBS)

$(B)/vmctl: $(VMCTL_OBJS) $(B)/libcore.a
	$(CC) $(CFLAGS) -o $@ $(VMCTL_OBJS) $(B)/libcore.a $(PROG_LDLIBS)

# glibc's linker warnings that NSS functions (getpwnam in lib/sandbox.o,
# getaddrinfo in libevent's evutil.o) need its shared libraries at run
# time are left out: vmd-vm calls none of them.
$(B)/vmd-vm: $(B)/obj/vm/main.o $(B)/libcore.a
	$(CC) $(CFLAGS) -o $@ $(B)/obj/vm/main.o $(B)/libcore.a \
	    $(VMVM_LDLIBS) 2>$@.ld; rc=$$?; grep -v -e ': in function' \
	    -e 'in statically linked applications requires' $@.ld >&2; \
	    rm -f $@.ld; exit $$rc

# Unit tests: tests/unit/a/b_test.c -> build/tests/unit/a/b_test.t,
# built with ASan+UBSan against the core library.
$(B)/tests/%_test.t: tests/%_test.c $(HELPER_SRCS) $(B)/libcore-asan.a
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  TEST    $@"
	$(Q)$(CC) $(CFLAGS) $(ASAN) -O1 -Itests -o $@ $< $(HELPER_SRCS) \
	    $(B)/libcore-asan.a $(LDLIBS)

unit: $(UNIT_BINS)

# Test tools (not linked into the unit tests): tests/tools/X.c ->
# build/tests/tools/X, used by tests/tools/*.t and the sandbox tests.
TOOL_SRCS	:= tests/tools/sysinject.c
TOOL_BINS	:= $(TOOL_SRCS:tests/%.c=$(B)/tests/%)

$(B)/tests/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	@[ "$(V)" != 0 ] || echo "  TOOL    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< -lbsd

tools: $(TOOL_BINS)
unit: tools

# vmd built with ASan and UBSan: tests/integ/asan_daemon.t runs the daemon
# tests against it once per `make check`. tests/tools/asan_hook.c readies
# the sanitizer runtimes before each chroot and seccomp filter.
VMD_ASAN_OBJS	:= $(VMD_SRCS:%.c=$(B)/asan/%.o) $(B)/obj/tests/tools/asan_hook.o
ASAN_WRAP	:= -Wl,--wrap=chroot,--wrap=prctl,--wrap=seccomp_load

$(B)/vmd-asan: $(VMD_ASAN_OBJS) $(B)/libcore-asan.a
	$(CC) $(CFLAGS) $(ASAN) -O1 $(ASAN_WRAP) -o $@ $(VMD_ASAN_OBJS) \
	    $(B)/libcore-asan.a $(LDLIBS) -ldl

vmd-asan: $(B)/vmd-asan

# Fuzz harnesses (clang libFuzzer): tests/fuzz/X_fuzz.c -> build/fuzz/X_fuzz,
# each linked with the sources it exercises; tests/fuzz/fuzz.t runs them.
FUZZ_CC		:= clang
FUZZ_CFLAGS	:= -g -O1 -std=c17 -D_GNU_SOURCE -I. -Ilib -Itests \
		   -isystem /usr/include/bsd -DLIBBSD_OVERLAY \
		   -fsanitize=fuzzer,address,undefined
boot_FUZZ_SRCS	:= vm/boot.c vm/boot_elf.c vm/mem.c vm/kvm.c lib/log.c
proto_FUZZ_SRCS	:= lib/proto.c lib/imsg.c lib/log.c
devices_FUZZ_SRCS := vm/devices.c vm/bus.c vm/dev/debugport.c vm/dev/fwlog.c \
		   vm/dev/uart.c \
		   vm/dev/rtc.c vm/dev/i8042.c vm/dev/pm.c vm/dev/pci.c \
		   vm/virtio/virtq.c vm/virtio/pci.c vm/virtio/blk.c \
		   vm/virtio/pollwin.c vm/virtio/net.c vm/virtio/net_rx.c \
		   vm/virtio/rng.c vm/kvm.c vm/mem.c \
		   vm/net/dhcp.c vm/net/tapio.c lib/log.c lib/irqcpu.c \
		   tests/helper/fakevm.c \
		   $(DISK_SRCS) \
		   vm/dev/fwcfg.c vm/boot.c vm/boot_elf.c vm/acpi.c vm/tblbuf.c vm/smbios.c \
		   vm/virtio/scsi.c vm/dev/cdrom.c
virtq_FUZZ_SRCS	:= vm/virtio/virtq.c vm/mem.c lib/log.c
virtio_FUZZ_SRCS := vm/virtio/virtq.c vm/virtio/pci.c vm/virtio/blk.c \
		   vm/virtio/pollwin.c vm/virtio/net.c vm/virtio/net_rx.c \
		   vm/virtio/rng.c vm/virtio/scsi.c \
		   vm/dev/cdrom.c vm/dev/pci.c vm/bus.c vm/kvm.c \
		   vm/mem.c vm/net/dhcp.c vm/net/tapio.c lib/log.c lib/irqcpu.c \
		   tests/helper/fakevm.c \
		   $(DISK_SRCS)
parse_FUZZ_SRCS	:= vmd/config.c $(PARSE_C) lib/log.c lib/util.c vmd/netif.c \
		   $(DISK_SRCS) \
		   lib/localaddr.c
dhcp_FUZZ_SRCS	:= vm/net/dhcp.c lib/log.c
ctl_FUZZ_SRCS	:= lib/proto.c lib/imsg.c lib/log.c
disk_FUZZ_SRCS	:= $(DISK_SRCS) lib/log.c
fwcfg_FUZZ_SRCS	:= vm/dev/fwcfg.c vm/boot.c vm/boot_elf.c vm/acpi.c vm/tblbuf.c vm/smbios.c \
		   vm/dev/pci.c vm/bus.c vm/kvm.c vm/mem.c lib/log.c \
		   tests/helper/fakevm.c $(DISK_SRCS)
cdrom_FUZZ_SRCS	:= vm/dev/cdrom.c
emul_FUZZ_SRCS	:= vm/emul.c vm/mem.c lib/log.c
FUZZ_NAMES	:= boot proto devices virtq parse dhcp virtio ctl disk fwcfg \
		   cdrom emul
FUZZ_BINS	:= $(FUZZ_NAMES:%=$(B)/fuzz/%_fuzz)

$(B)/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(CORE_SRCS) $(HELPER_SRCS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $($*_FUZZ_SRCS) -lbsd -levent -lmnl \
	    -lz -luring -pthread

$(B)/fuzz/parse_fuzz: $(PARSE_C) vmd/config.h

fuzz: $(FUZZ_BINS)

# deps: install only the Debian packages that are missing.
DEPS	:= gcc make libc6-dev libevent-dev libseccomp-dev libbsd-dev bison \
	   acpica-tools qemu-system-x86 qemu-utils perl cpio clang \
	   libclang-rt-14-dev pkg-config libmnl-dev libnftables-dev nftables \
	   tshark python3 iproute2 procps zlib1g-dev liburing-dev seabios \
	   grub-pc-bin xorriso mtools e2fsprogs flex bc lz4 xz-utils patch \
	   libelf-dev ipxe-qemu dnsmasq-base isolinux syslinux-common \
	   libmd-dev dmidecode
deps:
	@missing=; for p in $(DEPS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    echo "wireshark-common wireshark-common/install-setuid" \
		"boolean false" | debconf-set-selections; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

check: deps
	@# The small Linux that linux_boot.t boots: built from Debian's
	@# linux-source-6.1 once per machine and cached outside the clone
	@# (guest/linux/README.md). When missing it is built in the background
	@# (nice), beside the builds and tests below; the test waits for it.
	@mkdir -p $(B)
	@guest/linux/build.sh -n >/dev/null 2>&1 || { \
	    echo "building the test kernel in the background (once per" \
		"machine): guest/linux/build.sh, log $(B)/linux-kernel.log"; \
	    guest/linux/build.sh >$(B)/linux-kernel.log 2>&1 </dev/null & }
	$(MAKE) all unit fuzz vmd-asan
	@# Debian's kernel and busybox (apt-get download, unpacked under build/):
	@# real guest and client for tests; a failure shows in linux_early.t.
	-tests/linux/fetch.sh $(B)/linux >/dev/null
	@# tests/leftovers.sh fails the run if a test left a process, a network
	@# namespace, a tap or bridge, or an nft table behind.
	@# The tests that boot the small Linux go last, giving its first
	@# build (above, in the background) the time the others take.
	B=$(abspath $(B)) tests/leftovers.sh \
	    prove --timer --exec '' -r $(B)/tests \
	    $$(ls tests/integ/*.t | grep -v '/linux_') tests/tools tests/fuzz \
	    tests/integ/linux_*.t

# linux-kernel: build (or find) the cached kernel of guest/linux/.
linux-kernel:
	guest/linux/build.sh

demo: deps
	$(MAKE) all
	B=$(B) examples/demo.sh

check-linux: deps
	$(MAKE) all
	tests/linux/check-linux.sh
	tests/linux/check-linux.sh --kernel small

bench: deps
	$(MAKE) all
	bench/run.sh

# The Linux kernel's boots against QEMU: minutes a boot where guest kernel
# mode is emulated (KVM-PVM), so apart from make bench's 15 minutes.
bench-linux: deps
	$(MAKE) all
	bench/run.sh --linux

# install: programs, manuals, the test guest, and the _vmd user vmd needs.
PREFIX	?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/vmd \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(B)/vmd $(B)/vmd-vm $(B)/vmctl $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 man/vmd.8 man/vmctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 644 man/vm.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 $(B)/guest/testguest examples/vmd.service \
	    $(DESTDIR)$(PREFIX)/share/vmd/
	id _vmd >/dev/null 2>&1 || useradd --system --no-create-home \
	    --shell /usr/sbin/nologin _vmd

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj $(B)/asan $(B)/tests -name '*.d' -type f 2>/dev/null)
