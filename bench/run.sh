#!/bin/bash
# bench/run.sh: the benchmark suite against QEMU (make bench): start-up and
# memory (bench/startup.pl), through the daemon (bench/daemon.pl), a
# thousand idle VMs and the concurrent start rate (bench/density.pl), exit
# costs, virtio-blk and virtio-net (bench/io.pl), SeaBIOS to GRUB
# (bench/bios.pl); with --linux the Linux kernel's boots instead
# (bench/linux_boot.pl, bench/linux.pl).  Prints one plain table
# per part; writes bench/results/latest.json (all parts, every sample).
# Options: --quick (fewer runs, 7-8 minutes here), --linux (only the two
# Linux boot parts: make bench-linux); see bench/README.md.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/bench
mkdir -p "$out" bench/results
quick=
linux=
case "${1:-}" in
--quick)	quick=1 ;;
--linux)	linux=1 ;;
"")		;;
*)		echo "usage: bench/run.sh [--quick | --linux]" >&2; exit 2 ;;
esac
t0=$(date +%s)
parts=

# Debian's QEMU is the peer; install it when missing (as make deps does).
if ! command -v qemu-system-x86_64 >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	echo "installing qemu-system-x86 (the benchmark peer)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    qemu-system-x86 >/dev/null 2>&1 ||
	    echo "# could not install qemu-system-x86: QEMU columns empty"
fi

# part NAME SCRIPT ARGS...: one part, its JSON in $out/NAME.json; a file a
# run before left is removed first, so latest.json holds this run's parts.
part() {
	local name=$1 script=$2
	shift 2
	rm -f "$out/$name.json"
	perl "bench/$script" --root "$top" "$@" --json "$out/$name.json"
	parts="$parts $name"
}

if [ -n "$linux" ]; then
	# The Linux kernel's boots (make bench-linux): minutes each where
	# the guest's kernel mode is emulated (KVM-PVM), so not in make
	# bench. Linux's boot path (bzImage against vmlinux/PVH) to "Run
	# /sbin/init", when guest/linux/build.sh has a kernel cached; then
	# the small Linux of guest/linux/ against QEMU, one boot per VMM.
	part linux_boot linux_boot.pl --budget 900
	part linux linux.pl --runs 1 --budget 1200
else
	if [ -n "$quick" ]; then
		s_args="--runs 3 --memruns 2 --q35runs 1 --pvhruns 2"
		d_args="--runs 3 --counts 1:2,10:1,50:1"
		n_args="--count 100 --idle 10 --rates 1:2,10:1,100:1"
		i_args="--exitruns 2 --blkruns 1 --netruns 1 --ms 500"
		b_args="--runs 1"
	else
		s_args="--runs 10 --memruns 5 --q35runs 3 --pvhruns 5"
		d_args="--runs 10 --counts 1:5,10:3,50:2"
		n_args="--count 1000 --idle 30 --rates 1:5,10:3,100:2"
		i_args="--exitruns 7 --blkruns 3 --netruns 5 --ms 1000"
		b_args="--runs 3"
	fi
	echo "== start-up and memory (direct: vmctl run against qemu -M microvm)"
	# Each part has a budget; together under 15 minutes (each may
	# finish the run it is in past its budget).
	part startup startup.pl $s_args --budget 150
	part daemon daemon.pl $d_args --budget 90
	part density density.pl $n_args --budget 180
	part io io.pl $i_args --budget 450
	# --phases: one more run each with SeaBIOS's debug log, where
	# POST's time goes.
	part bios bios.pl $b_args --budget 90 --phases
fi

perl -MJSON::PP -e '
	my %all;
	for my $p (qw('"$parts"')) {
		my $f = "'"$out"'/$p.json";
		open(my $fh, "<", $f) or do { $all{$p} = { error => "$f: $!" };
		    next };
		local $/; $all{$p} = decode_json(<$fh>);
	}
	$all{seconds} = time - '"$t0"';
	open(my $o, ">", "bench/results/latest.json") or die "latest.json: $!";
	print $o JSON::PP->new->canonical->pretty->encode(\%all);
'
echo
echo "wrote bench/results/latest.json ($(( $(date +%s) - t0 )) s in all)"
