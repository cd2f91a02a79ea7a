#!/bin/bash
# bench/run.sh: the benchmark suite against QEMU (make bench): start-up and
# memory (bench/startup.pl), through the daemon (bench/daemon.pl), a
# thousand idle VMs and the concurrent start rate (bench/density.pl), exit
# costs, virtio-blk and virtio-net (bench/io.pl), the boot of a small Linux
# (bench/linux.pl).  Prints one plain table
# per part; writes bench/results/latest.json (all parts, every sample).
# Options: --quick (fewer runs, 7-8 minutes here); see bench/README.md.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/bench
mkdir -p "$out" bench/results
quick=
[ "${1:-}" = --quick ] && quick=1
t0=$(date +%s)

# Debian's QEMU is the peer; install it when missing (as make deps does).
if ! command -v qemu-system-x86_64 >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	echo "installing qemu-system-x86 (the benchmark peer)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    qemu-system-x86 >/dev/null 2>&1 ||
	    echo "# could not install qemu-system-x86: QEMU columns empty"
fi

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
# Each part has its own budget; together under 15 minutes.
perl bench/startup.pl --root "$top" $s_args --budget 240 \
    --json "$out/startup.json"
perl bench/daemon.pl --root "$top" $d_args --budget 150 \
    --json "$out/daemon.json"
perl bench/density.pl --root "$top" $n_args --budget 240 \
    --json "$out/density.json"
perl bench/io.pl --root "$top" $i_args --budget 420 --json "$out/io.json"
# Linux's boot path (bzImage against vmlinux/PVH) to "Run /sbin/init",
# when guest/linux/build.sh has a kernel cached.
perl bench/linux_boot.pl --root "$top" --budget 900 \
    --json "$out/linux_boot.json"
# --phases: one more run each with SeaBIOS's debug log, where POST's time goes.
perl bench/bios.pl --root "$top" $b_args --budget 240 --phases \
    --json "$out/bios.json"
# The small Linux of guest/linux/ (minutes per boot where kernel mode is
# emulated): one boot per VMM, not in --quick.
if [ -z "$quick" ]; then
	perl bench/linux.pl --root "$top" --runs 1 --budget 1200 \
	    --json "$out/linux.json"
else
	echo "== Linux boot: not run with --quick"
fi

perl -MJSON::PP -e '
	my %all;
	for my $p (qw(startup daemon density io linux_boot bios linux)) {
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
