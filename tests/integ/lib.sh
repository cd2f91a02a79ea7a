# Shared by the integration tests (bash): TAP output and VM helpers.
# Tests run from the top of the tree, as root, on a host with /dev/kvm.

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
B=${B:-$TOP/build}
VMCTL=$B/vmctl
GUEST=$B/guest/testguest
tap_n=0
tap_failed=0
TMP=$(mktemp -d /tmp/vmd-test.XXXXXX)
trap '[ -n "$KEEP_TMP" ] || rm -rf "$TMP"' EXIT

ok() {	# ok COND-STATUS "description"
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
	return "$1"
}

diag() {
	sed 's/^/# /'
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

need_kvm() {
	[ -c /dev/kvm ] && [ -w /dev/kvm ] || skip_all "no writable /dev/kvm"
}

# run_vm OUTPREFIX TIMEOUT ARGS...: vmctl run with stdin from /dev/null;
# console to OUTPREFIX.out, log to OUTPREFIX.err; sets $rc.
run_vm() {
	local out=$1 t=$2
	shift 2
	# shellcheck disable=SC2086 # VMCTL_FLAGS: words, e.g. -v
	timeout -s KILL "$t" "$VMCTL" $VMCTL_FLAGS run "$@" </dev/null \
	    >"$out.out" 2>"$out.err"
	rc=$?
}

# make_initrd FILE SIZE: the test guest's initrd pattern, 32-bit LE words
# w[i] = i * 0x9e3779b1 (mod 2^32), cut to SIZE bytes (guest/README.md).
make_initrd() {
	perl -e 'my ($n) = @ARGV; my $b = "";
	    for (my $i = 0; 4 * $i < $n; $i++) {
		$b .= pack("V", ($i * 0x9e3779b1) & 0xffffffff) }
	    print substr($b, 0, $n)' "$2" >"$1"
}

# ns_tap NS TAP ADDR/LEN: in network namespace NS (the caller's, made
# and deleted by it) loopback up, IPv6 off (no router solicitations or
# DAD frames among the guest's), and tap TAP up with address ADDR.
ns_tap() {
	ip netns exec "$1" ip link set lo up &&
	    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
	    ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 &&
	    ip netns exec "$1" ip tuntap add mode tap name "$2" &&
	    ip netns exec "$1" ip addr add "$3" dev "$2" &&
	    ip netns exec "$1" ip link set "$2" up
}

# guest_tap OUTPREFIX: checks the guest's TAP stream: no "not ok", a plan,
# and the plan matches the count. Prints failures as diagnostics.
guest_tap_clean() {
	local f=$1.out plan n
	plan=$(tr -d '\r' <"$f" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p' | tail -1)
	n=$(tr -d '\r' <"$f" | grep -c -E '^(not )?ok [0-9]+')
	if [ -z "$plan" ] || [ "$plan" != "$n" ] || [ "$n" -eq 0 ] ||
	    tr -d '\r' <"$f" | grep -q '^not ok'; then
		tr -d '\r' <"$f" | grep -E '^not ok|^#' | head -40 | diag
		tail -5 "$1.err" | diag
		return 1
	fi
	return 0
}
