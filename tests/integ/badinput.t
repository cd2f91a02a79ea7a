#!/bin/bash
# vmctl run refuses bad input with a clear message and a non-zero exit.
. "$(dirname "$0")/lib.sh"
need_kvm

expect_fail() {	# expect_fail NAME PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	run_vm "$TMP/$name" 20 "$@"
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]
	ok $? "$name: non-zero exit without a crash (rc $rc)"
	grep -q -- "$pat" "$TMP/$name.err"
	ok $? "$name: says '$pat'"
	if ! grep -q -- "$pat" "$TMP/$name.err"; then diag <"$TMP/$name.err"; fi
}

head -c 65536 /dev/urandom >"$TMP/junk"
printf 'MZ' >"$TMP/tiny"
# A header that says bzImage but is cut short.
if [ -f "$GUEST" ]; then head -c 2000 "$GUEST" >"$TMP/trunc"; fi

expect_fail notbz "not a bzImage" -b "$TMP/junk" -m 64M
expect_fail tiny "too small to be a kernel" -b "$TMP/tiny" -m 64M
expect_fail missing "No such file" -b "$TMP/nonexistent" -m 64M
expect_fail missing-initrd "No such file" -b "$TMP/junk" -I "$TMP/nope" -m 64M
expect_fail lowmem "out of range" -b "$GUEST" -m 4M
expect_fail badmem "invalid memory size" -b "$GUEST" -m 12Q
expect_fail cpus0 "number of cpus is too small" -b "$GUEST" -p 0
expect_fail toomanycpus "vcpus requested, this host allows" -b "$GUEST" -p 4000 -m 64M
# No -b is BIOS boot (tests/integ/bios_boot.t); booting from the network
# needs an interface.
expect_fail nonic "boot device net needs an interface" -B net -m 64M
if [ -f "$TMP/trunc" ]; then
	expect_fail truncated "short read of kernel\|truncated" -b "$TMP/trunc" -m 64M
fi
done_testing
