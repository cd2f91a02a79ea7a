#!/bin/bash
# SPDX-License-Identifier: ISC
# tests/leftovers.sh CMD [ARGS...]: runs CMD (`make check` runs prove with
# it) and fails if the tests left anything behind on this host:
# - a process they started: this script makes itself a child subreaper
#   (prctl PR_SET_CHILD_SUBREAPER), so every process started under CMD
#   stays its descendant even after its parent exits, setsid()s or clears
#   its environment; whatever of it still runs once CMD has ended is left
#   over (reported, then killed). Processes that ran before are never
#   descendants, and make and prove are not either (prove has ended).
#   Without python3 or the prctl, orphans (parent 1) that are new and
#   named like the tests' programs are reported instead (not killed);
# - a network namespace, a link in this namespace named like the tests'
#   (tap*, tg*, vm[0-9]*, vmd*) or an nft table with vmd in its name that
#   was not there before CMD started (reported only: not ours to delete).
# Leftovers get LEFTOVERS_GRACE seconds (default 3) to go away by themselves.
# The exit status is CMD's, or 1 if anything was left.
set -u

if [ "${LEFTOVERS_REAPER:-}" = "" ]; then
	# Become a subreaper, then run this script again in the same process
	# (the setting survives execve).
	export LEFTOVERS_REAPER=yes
	if command -v python3 >/dev/null; then
		exec python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:	# PR_SET_CHILD_SUBREAPER
	os.environ["LEFTOVERS_REAPER"] = "no"
os.execv(sys.argv[1], sys.argv[1:])' "$BASH" "$0" "$@"
	fi
	LEFTOVERS_REAPER=no
fi
reaper=$LEFTOVERS_REAPER
unset LEFTOVERS_REAPER
grace=${LEFTOVERS_GRACE:-3}
me=$$

# netobjs: the namespaces, links and nft tables the tests make, one a line.
netobjs() {
	ip netns list 2>/dev/null | awk '{ print "network namespace " $1 }'
	ip -o link 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2)
	    if ($2 ~ /^(tap|tg|vm[0-9]|vmd)/) print "link " $2 }'
	nft list tables 2>/dev/null | awk '/vmd/ { print "nft " $0 }'
}

# others_tap NAME: a process that is not one of ours holds tap NAME open
# (another run's test on this machine, not a leftover of ours).
others_tap() {
	local f pid q

	grep -l -x "iff:[[:space:]]*$1" /proc/[0-9]*/fdinfo/* 2>/dev/null | {
		while IFS= read -r f; do
			pid=${f#/proc/}
			pid=${pid%%/*}
			for q in "${procs[@]}"; do
				[ "$q" = "$pid" ] && continue 2
			done
			exit 0
		done
		exit 1
	}
}

# newnets: what netobjs lists now and did not before, but a tap that
# another run's process holds.
newnets() {
	local l

	comm -13 <(sort <<<"$nets_before") <(netobjs | sort) |
	while IFS= read -r l; do
		case $l in
		"link "*) others_tap "${l#link }" && continue ;;
		esac
		[ -n "$l" ] && printf '%s\n' "$l"
	done
}

# scan: sets procs to the live processes (not zombies) that descend from
# this script, or without a subreaper, that are new since the start,
# orphaned (parent 1) and named like what the tests run. Only builtins:
# a scan starts no process of its own.
declare -A start_of ppid_of before
scan() {
	local f s pid rest p i comm

	start_of=() ppid_of=() procs=()
	for f in /proc/[0-9]*/stat; do
		{ IFS= read -r s <"$f"; } 2>/dev/null || continue
		pid=${f#/proc/}
		pid=${pid%/stat}
		# the fields after "pid (comm) ": state, ppid, ..., starttime
		read -r -a rest <<<"${s##*) }"
		[ "${rest[0]}" = Z ] || [ "${rest[0]}" = X ] && continue
		ppid_of[$pid]=${rest[1]}
		start_of[$pid]=${rest[19]}
	done
	for pid in "${!ppid_of[@]}"; do
		[ "$pid" = "$me" ] && continue
		if [ "$reaper" = yes ]; then
			p=${ppid_of[$pid]}
			for ((i = 0; i < 256 && p > 1; i++)); do
				[ "$p" = "$me" ] && break
				p=${ppid_of[$p]:-0}
			done
			[ "$p" = "$me" ] && procs+=("$pid")
		elif [ "${ppid_of[$pid]}" = 1 ] &&
		    [ -z "${before[$pid:${start_of[$pid]}]:-}" ]; then
			{ IFS= read -r comm <"/proc/$pid/comm"; } 2>/dev/null
			case $comm in
			vmd*|vmctl|qemu-system*|tshark|dumpcap|dnsmasq|udhcpc|\
			socat|net-rx-sender|perl|sleep|timeout|ip)
				procs+=("$pid") ;;
			esac
		fi
	done
}

# show PID...: one line per process: pid, parent, command line.
show() {
	local pid args
	for pid; do
		args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
		printf '#   pid %s (parent %s): %s\n' "$pid" \
		    "${ppid_of[$pid]:-?}" "${args:-?}"
	done
}

scan
for pid in "${!start_of[@]}"; do
	before[$pid:${start_of[$pid]}]=1
done
nets_before=$(netobjs)

"$@"
rc=$?

# What is still there, given a little time to go.
for ((t = 0; t <= grace * 10; t++)); do
	scan
	nets=$(newnets)
	[ "${#procs[@]}" -eq 0 ] && [ -z "$nets" ] && break
	sleep 0.1
done
left=0
if [ "${#procs[@]}" -gt 0 ]; then
	left=1
	echo "# leftovers: the tests left ${#procs[@]} process(es) running:"
	show "${procs[@]}"
	if [ "$reaper" = yes ]; then
		# Ours for sure: end them, for the next run's sake.
		kill -TERM "${procs[@]}" 2>/dev/null
		for ((t = 0; t < 20; t++)); do
			scan
			[ "${#procs[@]}" -eq 0 ] && break
			sleep 0.1
		done
		[ "${#procs[@]}" -eq 0 ] ||
		    kill -KILL "${procs[@]}" 2>/dev/null
		echo "# leftovers: killed them"
	else
		echo "# (no subreaper: orphans named like the tests'" \
		    "programs, perhaps not ours: left running)"
	fi
fi
if [ -n "$nets" ]; then
	left=1
	echo "# leftovers: the tests left these behind:"
	printf '#   %s\n' "${nets//$'\n'/$'\n'#   }"
fi
if [ "$left" -ne 0 ]; then
	echo "leftovers: FAIL (each test must clean up what it starts)"
	[ "$rc" -ne 0 ] || rc=1
else
	echo "leftovers: none (no process, namespace, link or nft table)"
fi
exit "$rc"
