#!/bin/bash
# SPDX-License-Identifier: ISC
# vm.conf golden tests: `vmd -n -f NAME.conf [NAME.args]` must print exactly
# NAME.out (stdout and stderr together) and exit 0 for ok-*, 1 for fail-*.
# @SPECIAL@ in NAME.args and NAME.out stands for a directory made here that
# holds a FIFO, fifo (nothing ever writes to it: a parser that opens it
# blocking hangs, which the timeout turns into a failure).
# UPDATE=1 rewrites the .out files from the current output.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${B:-$TOP/build}
VMD=${VMD:-$B/vmd}
case $VMD in /*) ;; *) VMD=$PWD/$VMD ;; esac
DIR=$TOP/tests/config
n=0
failed=0
SPECIAL=$(mktemp -d /tmp/config.t.XXXXXX) || exit 1
trap 'rm -rf "$SPECIAL"' EXIT
mkfifo "$SPECIAL/fifo" || exit 1

if [ ! -x "$VMD" ]; then
	echo "1..0 # SKIP $VMD not built"
	exit 0
fi
# No probe of `vmd -n` first: whatever it prints for ok-empty.conf, a
# change in it fails that golden test like any other.
cd "$DIR" || exit 1
for conf in *.conf; do
	name=${conf%.conf}
	args=()
	[ -f "$name.args" ] && read -r -a args <"$name.args"
	args=("${args[@]//@SPECIAL@/$SPECIAL}")
	out=$(timeout 10 "$VMD" -n -f "$conf" "${args[@]}" 2>&1 </dev/null)
	rc=$?
	out=${out//$SPECIAL/@SPECIAL@}
	case $name in
	ok-*)	want_rc=0 ;;
	*)	want_rc=1 ;;
	esac
	n=$((n + 1))
	if [ -n "$UPDATE" ]; then
		printf '%s\n' "$out" >"$name.out"
	fi
	if [ "$rc" -ne "$want_rc" ]; then
		echo "not ok $n - $name: exit $rc, want $want_rc"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	elif ! diff -u "$name.out" - <<<"$out" >"/tmp/config.t.$$" 2>&1; then
		echo "not ok $n - $name: output differs"
		sed 's/^/# /' "/tmp/config.t.$$"
		failed=$((failed + 1))
	else
		echo "ok $n - $name"
	fi
	rm -f "/tmp/config.t.$$"
done
echo "1..$n"
[ "$failed" -eq 0 ]
