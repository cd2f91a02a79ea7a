#!/bin/bash
# vmd: instances of a template (vmctl start -t), for root and for a user
# the template allows; staggered start of the configured VMs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
need_vmd_user

TUSER=vmdinst$$
useradd --no-create-home --shell /bin/sh "$TUSER" || skip_all "cannot add a user"
inst_cleanup() {
	daemon_cleanup
	userdel "$TUSER" 2>/dev/null
}
trap inst_cleanup EXIT
chmod 755 "$TMP"
uvmctl() {
	runuser -u "$TUSER" -- "$VMCTL" -s "$SOCK" "$@"
}

cat >"$CONF" <<CONF
socket owner $TUSER
staggered start parallel 1 delay 2
vm "tmpl" {
	disable
	memory 64M
	boot "$GUEST"
	cmdline "tg.end=wait-powerbutton"
	allow instance { memory, owner $TUSER }
}
vm "owned" {
	disable
	memory 64M
	boot "$GUEST"
	owner $TUSER
}
vm "auto1" {
	memory 64M
	boot "$GUEST"
	cmdline "tg.end=wait-powerbutton"
}
vm "auto2" {
	memory 64M
	boot "$GUEST"
	cmdline "tg.end=wait-powerbutton"
}
CONF
vmd_start
ok $? "vmd starts"
wait_for 2 state_is auto1 running && [ "$(status_field auto2 8)" = waiting ]
ok $? "staggered start: one VM at a time, the next one waiting"
wait_for 4 state_is auto2 running
ok $? "staggered start: the next batch after the delay"

vmctl start -t tmpl -m 128M i1 >"$TMP/i1.out" 2>&1
ok $? "root starts an instance of a template"
[ "$(status_field i1 4)" = 128M ] && [ "$(status_field i1 8)" = running ]
ok $? "the instance has the template's settings with its own memory"
uvmctl start -t tmpl -m 96M i2 >"$TMP/i2.out" 2>&1
ok $? "$TUSER creates an instance, as allow instance lets it"
[ "$(status_field i2 7)" = "$TUSER" ] || [ "$(status_field i2 7)" = "$TUSER:$TUSER" ]
ok $? "the instance belongs to $TUSER"
uvmctl start -t tmpl -b "$GUEST" i3 >"$TMP/i3.out" 2>&1
[ $? -eq 1 ]
ok $? "but may not change what the template does not allow (boot)"
sleep 0.5
uvmctl stop -w i2 >/dev/null 2>&1
[ -z "$(status_field i2 8)" ]
ok $? "a stopped instance is forgotten"
uvmctl start -t owned i4 >"$TMP/i4.out" 2>&1
[ $? -eq 1 ] && grep -q 'not allowed to create instances of vm "owned"' \
    "$TMP/i4.out"
ok $? "owning a template without allow instance is not enough: $(cat "$TMP/i4.out")"
vmctl start -t nosuch x1 >"$TMP/x1.out" 2>&1
[ $? -eq 1 ] && grep -q 'vm not found' "$TMP/x1.out"
ok $? "an unknown template: vm not found"
vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
