#!/bin/bash
# vmd's permissions for a user who is not root: socket owner, VM owners,
# what such a user may do and what is refused (EPERM), tty ownership.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
need_vmd_user

TUSER=vmdtest$$
useradd --no-create-home --shell /bin/sh "$TUSER" || skip_all "cannot add a user"
perm_cleanup() {
	daemon_cleanup
	userdel "$TUSER" 2>/dev/null
}
trap perm_cleanup EXIT
chmod 755 "$TMP"

asuser() {	# asuser CMD...: run as the test user
	runuser -u "$TUSER" -- "$@"
}
uvmctl() {
	asuser "$VMCTL" -s "$SOCK" "$@"
}

cp "$GUEST" "$TMP/root-kernel"
chmod 600 "$TMP/root-kernel"
ln -s "$TMP/root-kernel" "$TMP/link-kernel"
cat >"$CONF" <<CONF
socket owner $TUSER
vm "rootk" {
	disable
	memory 64M
	boot "$TMP/root-kernel"
	cmdline "tg.end=wait-powerbutton"
	owner $TUSER
}
vm "mine" {
	disable
	memory 64M
	boot "$GUEST"
	cmdline "tg.end=wait-powerbutton"
	owner $TUSER
}
vm "theirs" {
	disable
	memory 64M
	boot "$GUEST"
	cmdline "tg.end=wait-powerbutton"
}
CONF
vmd_start
ok $? "vmd starts"
[ "$(stat -c '%U %a' "$SOCK")" = "$TUSER 660" ]
ok $? "socket owner: the socket belongs to $TUSER, mode 0660"
runuser -u nobody -- "$VMCTL" -s "$SOCK" status >"$TMP/nobody.out" 2>&1
[ $? -eq 1 ] && grep -q 'Permission denied' "$TMP/nobody.out"
ok $? "another user cannot connect"

uvmctl status >/dev/null 2>&1
ok $? "status as $TUSER"
uvmctl start mine >"$TMP/start.out" 2>&1
ok $? "$TUSER starts a VM it owns"
tty=$(sed -n 's/.*tty \(\/dev\/pts\/[0-9]*\)$/\1/p' "$TMP/start.out")
[ -n "$tty" ] && [ "$(stat -c '%U %G %a' "$tty")" = "$TUSER tty 620" ]
ok $? "its tty belongs to $TUSER, group tty, mode 0620"
(sleep 1; printf '~.') | timeout 10 runuser -u "$TUSER" -- "$VMCTL" \
    -s "$SOCK" console mine >"$TMP/console.out" 2>&1
tr -d '\r' <"$TMP/console.out" | grep -q 'waiting for the power button'
ok $? "$TUSER reads its console"
[ "$(status_field mine 7)" = "$TUSER" ]
ok $? "status shows the owner"
uvmctl pause mine >/dev/null 2>&1 && uvmctl unpause mine >/dev/null 2>&1
ok $? "$TUSER pauses and unpauses it"

vmctl start theirs >/dev/null 2>&1
uvmctl stop theirs >"$TMP/stop.out" 2>&1
[ $? -eq 1 ] && grep -q 'Operation not permitted' "$TMP/stop.out"
ok $? "$TUSER may not stop root's VM"
uvmctl pause theirs >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "nor pause it"
uvmctl wait theirs >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "nor wait for it"
vmctl stop -f theirs >/dev/null 2>&1
wait_for 5 vm_gone theirs
uvmctl start theirs >"$TMP/s2.out" 2>&1
[ $? -eq 1 ] && grep -q 'Operation not permitted' "$TMP/s2.out"
ok $? "nor start a VM it does not own"
uvmctl start -b "$GUEST" -m 64M adhoc >"$TMP/s3.out" 2>&1
[ $? -eq 1 ] && grep -q 'Operation not permitted' "$TMP/s3.out"
ok $? "nor define a VM on the command line"
for c in "reload" "load $CONF" "reset" "log verbose"; do
	uvmctl $c >"$TMP/root.out" 2>&1
	[ $? -eq 1 ] && grep -q 'Operation not permitted' "$TMP/root.out"
	ok $? "$c is for root only (EPERM)"
done

vmctl log verbose >/dev/null 2>&1
uvmctl wait mine >/dev/null 2>&1 &
waiter=$!
# The stop only once vmd has the waiter (its debug line), not before.
wait_for 10 grep -q "vm mine: client [0-9]* waits for it" "$VMD_LOG"
uvmctl stop mine >/dev/null 2>&1
ok $? "$TUSER stops its VM"
wait "$waiter"
ok $? "and waits for it"
wait_for 10 state_is mine stopped
uvmctl start -m 128M mine >"$TMP/s4.out" 2>&1
[ $? -eq 1 ] && grep -q 'Operation not permitted' "$TMP/s4.out"
ok $? "$TUSER may add only -b to a configured VM"
cp "$GUEST" "$TMP/private-kernel"
chmod 600 "$TMP/private-kernel"
uvmctl start -b "$TMP/private-kernel" mine >"$TMP/s5.out" 2>&1
[ $? -eq 1 ]
ok $? "-b with a kernel $TUSER cannot read is refused"
chown "$TUSER" "$TMP/private-kernel"
uvmctl start -b "$TMP/private-kernel" mine >"$TMP/s6.out" 2>&1
ok $? "-b with its own kernel is allowed"
sleep 0.5
uvmctl stop -w mine >/dev/null 2>&1
uvmctl start -b "$TMP/link-kernel" mine >"$TMP/s7.out" 2>&1
[ $? -eq 1 ]
ok $? "-b with a symlink to a file $TUSER cannot read is refused"
uvmctl start rootk >"$TMP/s8.out" 2>&1
ok $? "the configuration's own files are opened by vmd, not as $TUSER"
uvmctl stop -f rootk >/dev/null 2>&1

vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
