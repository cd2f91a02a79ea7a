# Shared by the integration tests (bash): TAP output and VM helpers.
# Tests run from the top of the tree, as root, on a host with /dev/kvm.

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
B=$TOP/build
VMCTL=$B/vmctl
GUEST=$B/guest/testguest
tap_n=0
tap_failed=0
TMP=$(mktemp -d /tmp/vmd-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

ok() {	# ok COND-STATUS "description"
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
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
	timeout -s KILL "$t" "$VMCTL" run "$@" </dev/null >"$out.out" 2>"$out.err"
	rc=$?
}
