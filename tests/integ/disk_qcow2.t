#!/bin/bash
# qcow2 disks, with qemu-img (Debian's qemu-utils) as the referee: images
# qemu-img makes (versions 2 and 3, clusters of 4K, 64K and 2M, compressed,
# a three-layer chain with raw and qcow2 bases and relative names) read
# back exactly in the test guest; what the guest writes, qemu-img reads
# and checks clean; images vmctl create makes are what qemu-img expects;
# a VM process killed at random moments while the guest writes never
# leaves a corrupt image, and what the guest flushed is there.
. "$(dirname "$0")/lib.sh"
need_kvm
[ -f "$GUEST" ] || skip_all "no test guest built"
command -v qemu-img >/dev/null || skip_all "no qemu-img (make deps)"

SIZE=8388608

# pattern FILE SIZE SEED: the guest's disk pattern (guest/README.md).
pattern() {
	perl -e 'my ($n, $s) = @ARGV; my $b = "";
	    for (my $i = 0; 4 * $i < $n; $i++) {
		$b .= pack("V", (($i * 0x9e3779b1) & 0xffffffff) ^ $s) }
	    print substr($b, 0, $n)' "$2" "$3" >"$1"
}

# written FILE SEED [LOOSE]: FILE (raw) holds the guest's pattern of SEED
# with [1M, 2M) discarded (each sector zeros, or the data it had: a
# discard may keep it) and [3M, 3.5M) zeroed; LOOSE: the zeroed range
# too may hold either in each sector (a kill may come before or during).
written() {
	perl -e 'my ($f, $s, $loose) = @ARGV;
	    open(my $fh, "<", $f) or die "$f: $!"; binmode $fh;
	    local $/; my $d = <$fh>; my $n = length($d); my $e = "";
	    for (my $i = 0; 4 * $i < $n; $i++) {
		$e .= pack("V", (($i * 0x9e3779b1) & 0xffffffff) ^ $s) }
	    my @z = ([1 << 20, 1 << 20, 1], [3 << 20, 512 << 10, $loose]);
	    for my $r (@z) {
		my ($o, $l, $either) = @$r;
		for (my $k = $o; $k < $o + $l; $k += 512) {
			my $got = substr($d, $k, 512);
			if ($either && $got eq substr($e, $k, 512)) {
				next;
			}
			substr($e, $k, 512) = "\0" x 512;
		}
	    }
	    exit 0 if $d eq $e;
	    for (my $o = 0; $o < $n; $o += 4) {
		next if substr($d, $o, 4) eq substr($e, $o, 4);
		printf "# %s: first difference at 0x%x\n", $f, $o; last }
	    exit 1' "$1" "$2" "$3"
}

# referee IMG SEED WHAT: qemu-img checks IMG clean and reads the guest's
# writes from it.
referee() {
	qemu-img check -q "$1" >"$TMP/check.out" 2>&1
	ok $? "$3: qemu-img check is clean"
	diag <"$TMP/check.out"
	rm -f "$TMP/conv.raw"
	qemu-img convert -O raw "$1" "$TMP/conv.raw" &&
	    written "$TMP/conv.raw" "$2"
	ok $? "$3: qemu-img reads what the guest wrote"
}

guest_args() {	# guest_args NDISKS FILLED: the guest's blk checks
	local i a="tg.checks=blk tg.disks=$1"
	for i in $(seq 0 $(($1 - 1))); do
		a="$a tg.disk$i.size=$SIZE tg.disk$i.filled=$2 tg.disk$i.ro=0"
	done
	echo "$a"
}

# ------------------------------------------------- images qemu-img made
for i in 0 1 2 3; do
	pattern "$TMP/p$i.raw" $SIZE $((0x5eed0000 + i))
done
qemu-img convert -f raw -O qcow2 -o compat=1.1,cluster_size=65536 \
    "$TMP/p0.raw" "$TMP/d0.qcow2" &&
qemu-img convert -f raw -O qcow2 -o compat=0.10,cluster_size=4096 \
    "$TMP/p1.raw" "$TMP/d1.qcow2" &&
qemu-img convert -f raw -O qcow2 -o compat=1.1,cluster_size=2097152 \
    "$TMP/p2.raw" "$TMP/d2.qcow2" &&
qemu-img convert -c -f raw -O qcow2 -o compat=1.1,cluster_size=65536 \
    "$TMP/p3.raw" "$TMP/d3.qcow2"
ok $? "qemu-img made v3/64K, v2/4K, v3/2M and compressed images"
run_vm "$TMP/fmt" 120 -b "$GUEST" -m 128M -d "$TMP/d0.qcow2" \
    -d "$TMP/d1.qcow2" -d "qcow2:$TMP/d2.qcow2" -d "$TMP/d3.qcow2" \
    -k "$(guest_args 4 1)"
ok $rc "formats: the guest powered off (exit $rc)"
guest_tap_clean "$TMP/fmt"
ok $? "formats: every guest check passed"
for i in 0 1 2 3; do
	grep -q "^ok .*blk$i: read $SIZE bytes, the host's pattern is there" \
	    "$TMP/fmt.out"
	ok $? "formats: disk $i: the guest read qemu-img's bytes exactly"
	referee "$TMP/d$i.qcow2" $((0xb10c0000 + i)) "formats: disk $i"
done

# ------------------------------------------------- a three-layer chain
mkdir -p "$TMP/base" "$TMP/mid" "$TMP/vm"
cp "$TMP/p0.raw" "$TMP/base/base.raw"
(cd "$TMP/mid" && qemu-img create -q -f qcow2 -o cluster_size=4096 \
    -b ../base/base.raw -F raw mid.qcow2 && cd ../vm && qemu-img create -q -f qcow2 -b ../mid/mid.qcow2 \
    -F qcow2 top.qcow2)
ok $? "chain: raw base <- qcow2 <- qcow2, relative names"
sum_base=$(md5sum <"$TMP/base/base.raw")
sum_mid=$(md5sum <"$TMP/mid/mid.qcow2")
run_vm "$TMP/chain" 120 -b "$GUEST" -m 128M -d "$TMP/vm/top.qcow2" \
    -k "$(guest_args 1 1)"
ok $rc "chain: the guest powered off (exit $rc)"
guest_tap_clean "$TMP/chain"
ok $? "chain: the guest read the base through two overlays and wrote"
referee "$TMP/vm/top.qcow2" $((0xb10c0000)) "chain: top"
[ "$(md5sum <"$TMP/base/base.raw")" = "$sum_base" ] &&
    [ "$(md5sum <"$TMP/mid/mid.qcow2")" = "$sum_mid" ]
ok $? "chain: the bases are untouched"
rm "$TMP/mid/mid.qcow2"
run_vm "$TMP/nobase" 30 -b "$GUEST" -m 64M -d "$TMP/vm/top.qcow2"
[ "$rc" -ne 0 ] && grep -q "backing file .*mid.qcow2: No such file" \
    "$TMP/nobase.err"
ok $? "chain: a missing base is named ($(tail -1 "$TMP/nobase.err"))"

# ------------------------------------------------- vmctl create
(cd "$TMP" && "$VMCTL" create -s 8M new.qcow2 2>"$TMP/c1.err" &&
    "$VMCTL" create -i p0.raw conv.qcow2 2>"$TMP/c2.err" &&
    cd vm && "$VMCTL" create -b ../conv.qcow2 over.qcow2 2>"$TMP/c3.err" &&
    cd .. && "$VMCTL" create -b conv.qcow2 vm/abs.qcow2 2>"$TMP/c3.err" &&
    "$VMCTL" create -s 8M plain.img 2>"$TMP/c4.err" &&
    "$VMCTL" create -i d3.qcow2 flat.img 2>"$TMP/c5.err")
ok $? "create: -s qcow2, -i to qcow2, -b overlay, -s raw, -i to raw"
grep -q "^vmctl: qcow2 imagefile created$" "$TMP/c1.err" &&
    grep -q "^vmctl: raw imagefile created$" "$TMP/c4.err"
ok $? "create: says what it made"
for f in new.qcow2 conv.qcow2 vm/over.qcow2 vm/abs.qcow2; do
	qemu-img check -q "$TMP/$f" >/dev/null 2>&1
	ok $? "create: qemu-img check $f is clean"
done
info=$(qemu-img info --output=json --backing-chain "$TMP/vm/over.qcow2")
perl -MJSON::PP -e 'my $j = decode_json(join("", <STDIN>));
    exit !(@$j == 2 && $j->[0]{format} eq "qcow2" &&
	$j->[0]{"virtual-size"} == 8388608 &&
	$j->[0]{"backing-filename"} eq "../conv.qcow2" &&
	$j->[0]{"backing-filename-format"} eq "qcow2" &&
	$j->[1]{format} eq "qcow2")' <<<"$info"
ok $? "create -b: qemu-img info shows qcow2, 8M, backing ../conv.qcow2"
qemu-img info --output=json "$TMP/vm/abs.qcow2" | perl -MJSON::PP -e '
    my $j = decode_json(join("", <STDIN>));
    exit !($j->{"backing-filename"} eq "$ARGV[0]/conv.qcow2")' "$(realpath "$TMP")"
ok $? "create -b: a base named from elsewhere is recorded by its absolute path"
qemu-img info --output=json "$TMP/new.qcow2" | perl -MJSON::PP -e '
    my $j = decode_json(join("", <STDIN>));
    exit !($j->{format} eq "qcow2" && $j->{"virtual-size"} == 8388608 &&
	!exists $j->{"backing-filename"})'
ok $? "create -s: qemu-img info shows qcow2, 8M, no backing"
qemu-img compare -q -f raw -F qcow2 "$TMP/flat.img" "$TMP/d3.qcow2" &&
    [ "$(stat -c %a "$TMP/flat.img")" = 600 ]
ok $? "create -i: a qcow2 with compressed clusters flattened to raw is byte-exact, mode 0600"
truncate -s 64M "$TMP/sparse.raw"
head -c 65536 "$TMP/p1.raw" | dd of="$TMP/sparse.raw" bs=64k seek=100 \
    conv=notrunc status=none
"$VMCTL" create -i "$TMP/sparse.raw" "$TMP/sparse.qcow2" 2>/dev/null &&
    [ "$(stat -c %s "$TMP/sparse.qcow2")" -le $((512 * 1024)) ] &&
    qemu-img compare -q "$TMP/sparse.raw" "$TMP/sparse.qcow2"
ok $? "create -i: zero chunks are skipped, the rest copied ($(stat -c %s "$TMP/sparse.qcow2") bytes)"
"$VMCTL" create -s 1M "$TMP/new.qcow2" 2>"$TMP/c6.err"
[ $? -ne 0 ] && grep -q "could not create .*new.qcow2: File exists" \
    "$TMP/c6.err"
ok $? "create: refuses to overwrite ($(cat "$TMP/c6.err"))"
"$VMCTL" create -s 1M -b "$TMP/conv.qcow2" "$TMP/x.qcow2" 2>"$TMP/c7.err"
[ $? -ne 0 ] && grep -q "size must be the base image's" "$TMP/c7.err"
ok $? "create -b: a size other than the base's is refused"
run_vm "$TMP/over" 120 -b "$GUEST" -m 128M -d "$TMP/vm/over.qcow2" \
    -d "$TMP/new.qcow2" -k "$(guest_args 2 0 |
    sed 's/tg.disk0.filled=0/tg.disk0.filled=1/')"
ok $rc "create: the guest boots on vmctl's overlay and new image"
guest_tap_clean "$TMP/over"
ok $? "create: the guest read conv.qcow2's pattern through the overlay"
referee "$TMP/vm/over.qcow2" $((0xb10c0000)) "create: overlay"
referee "$TMP/new.qcow2" $((0xb10c0001)) "create: new image"

# ------------------------------------------------- raw asked of a qcow2
run_vm "$TMP/asraw" 30 -b "$GUEST" -m 64M -d "raw:$TMP/d0.qcow2"
[ "$rc" -ne 0 ] && grep -q "is a qcow2 image but raw was asked for" \
    "$TMP/asraw.err"
ok $? "raw: on a qcow2 image is refused, the image untouched"

# ------------------------------------------------- kill -9 while writing
"$VMCTL" create -s 8M "$TMP/crash.qcow2" 2>/dev/null
bad=0 leaks=0 lost=0 flushed=0 mid=0 rounds=24
for r in $(seq $rounds); do
	"$VMCTL" run -b "$GUEST" -m 64M -d "$TMP/crash.qcow2" \
	    -k "$(guest_args 1 0)" </dev/null >"$TMP/k.out" \
	    2>"$TMP/k.err" &
	pid=$!
	# A state of the guest's own, then a random moment within it.
	want=$(( (r % 6) + 4 ))
	for i in $(seq 2000); do
		n=$(grep -c "^ok" "$TMP/k.out" 2>/dev/null)
		[ "${n:-0}" -ge "$want" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.01
	done
	perl -e 'select(undef, undef, undef, rand(0.03))'
	vmpid=$(pgrep -P $pid)
	[ -n "$vmpid" ] && kill -KILL $vmpid 2>/dev/null
	wait $pid 2>/dev/null
	[ -n "$vmpid" ] && ! grep -q "wrote and read back" "$TMP/k.out" &&
	    mid=$((mid + 1))
	qemu-img check -q "$TMP/crash.qcow2" >/dev/null 2>&1
	st=$?
	[ $st -eq 0 ] || [ $st -eq 3 ] || bad=$((bad + 1))
	[ $st -eq 3 ] && leaks=$((leaks + 1))
	if grep -q "^ok .*blk0: flush" "$TMP/k.out"; then
		flushed=$((flushed + 1))
		rm -f "$TMP/conv.raw"
		qemu-img convert -O raw "$TMP/crash.qcow2" "$TMP/conv.raw"
		written "$TMP/conv.raw" $((0xb10c0000)) loose >/dev/null ||
		    lost=$((lost + 1))
	fi
done
[ $bad -eq 0 ]
ok $? "kill -9 in $rounds rounds ($mid before the guest's writes were all done): no corruption ($leaks with leaked clusters only)"
[ $lost -eq 0 ]
ok $? "kill -9: every flushed write is in the image ($flushed rounds had flushed)"
run_vm "$TMP/after" 120 -b "$GUEST" -m 64M -d "$TMP/crash.qcow2" \
    -k "$(guest_args 1 0)"
ok $rc "kill -9: the image boots again"
referee "$TMP/crash.qcow2" $((0xb10c0000)) "kill -9: reopened image"
done_testing
