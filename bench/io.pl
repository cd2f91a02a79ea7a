#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Exit costs, virtio-blk and virtio-net, ours against QEMU on the same test
# guest (tg.checks=exits, blk-bench, net-bench), interleaved round by round.
# bench/README.md says which QEMU configuration and why.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchLib;
use Getopt::Long;

my %o = (
	root	=> '.',
	exitruns => 5,
	blkruns	=> 3,
	netruns	=> 3,
	ms	=> 1000,		# tg.bench.ms
	mem	=> 256,
	imgmb	=> 256,
	guest	=> 'build/guest/testguest',
	json	=> 'build/bench/io.json',
	budget	=> 480,
	qemu_blk_pc => 'cache=writeback,aio=io_uring',
	qemu_blk_direct => 'cache=none,aio=io_uring',
	iothread => 1,
	sender	=> 'c',			# net-rx: c (sendmmsg) or perl
	netargs	=> '',			# more for the net guests' command line
);
GetOptions(\%o, 'root=s', 'exitruns=i', 'blkruns=i', 'netruns=i', 'ms=i',
    'mem=i', 'imgmb=i', 'guest=s', 'json=s', 'budget=f', 'qemu_blk_pc=s',
    'qemu_blk_direct=s', 'iothread=i', 'sender=s', 'netargs=s')
    or die "usage: io.pl [--exitruns N] [--blkruns N] [--netruns N] "
    . "[--ms MS] [--sender c|perl] [--netargs 'tg.net.gso=1 ...'] "
    . "[--json FILE]\n";
chdir $o{root} or die "$o{root}: $!\n";
my $T0 = now();
my $tmp = "build/bench/io.$$";
system('mkdir', '-p', $tmp) == 0 or die "mkdir $tmp\n";
my $vmctl = 'build/vmctl';
my $qemu = 'qemu-system-x86_64';
my @rows;
my $json = { host => host_info(), config => { %o } };
my $over = sub { now() - $T0 > $o{budget} };
my $nsmade;
my $sender;		# the running net-rx-sender.pl (ours)
my $tcpsrv;		# the running TCP server for net-tcp-bench
# A part that dies leaves no namespace, no sender and no image behind.
END {
	kill 'TERM', $sender->{pid} if $sender && !defined $sender->{status};
	kill 'TERM', -$tcpsrv->{pid} if $tcpsrv && !defined $tcpsrv->{status};
	system('ip', 'netns', 'del', "vmdbench$$") if $nsmade;
	system('rm', '-rf', $tmp) if $tmp;
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

my %why;
$why{ours} = !-f $o{guest} ? "no $o{guest} (make all)" :
    !-c '/dev/kvm' ? 'no /dev/kvm' :
    !-x $vmctl || !-x 'build/vmd' ? 'no build/vmctl (make all)' : '';
$why{qemu} = !-f $o{guest} ? "no $o{guest} (make all)" :
    !-c '/dev/kvm' ? 'no /dev/kvm' :
    !have($qemu) ? "no $qemu (apt-get install qemu-system-x86)" : '';
my $blkhost = 'build/guest/blk-host';
$why{host} = -x $blkhost ? '' : "no $blkhost (make all)";

my @QBASE = ('-enable-kvm', '-m', $o{mem}, '-smp', 1, '-nodefaults',
    '-no-user-config', '-display', 'none', '-serial', 'stdio',
    '-kernel', $o{guest});

# guest(vmm, cmdline, ours_args, qemu_machine_and_devices, prefix, timeout):
# one guest run; returns { bench => {name => value}, ok => [lines], ... }.
sub guest {
	my ($vmm, $cmdline, $oa, $qa, $prefix, $timeout) = @_;
	my @argv = $vmm eq 'ours' ? ($vmctl, 'run', '-b', $o{guest}, '-p', 1,
	    '-m', "$o{mem}M", @$oa, '-k', $cmdline) :
	    ($qemu, @$qa, @QBASE, '-append', $cmdline);
	unshift @argv, @$prefix if $prefix;
	my $p = reap(spawn(\@argv), $timeout);
	my %r = (vmm => $vmm, seconds => 0 + sprintf('%.2f',
	    $p->{t_exit} - $p->{t0}), status => $p->{status} >> 8,
	    bench => {});
	$r{killed} = "timeout ($timeout s)" if $p->{killed};
	for (map { $_->[1] } @{$p->{out}}) {
		$r{bench}{"$1 $3"} = $2 + 0 if /^# bench: (\S+) (\d+) (\S+)$/;
		push @{$r{ok}}, $_ if /^ok \d+ - /;
		push @{$r{not_ok}}, $_ if /^not ok/;
	}
	$r{stderr_tail} = [map { $_->[1] } @{$p->{err}}[-5 .. -1]]
	    if ($r{killed} || $r{status} || $r{not_ok}) && @{$p->{err}} >= 5;
	$r{argv} = join ' ', @argv;
	return \%r;
}

sub fail_why {
	my (@runs) = @_;
	return 'not run (budget)' unless @runs;
	my $r = $runs[0];
	return $r->{killed} if $r->{killed};
	return "guest: $r->{not_ok}[0]" if $r->{not_ok};
	return "exit status $r->{status}" if $r->{status};
	return 'the guest printed no such number';
}

# col(runs, getter): samples, or why there are none.
sub col {
	my ($why, $runs, $get) = @_;
	return $why if $why;
	my @v = grep { defined } map { $get->($_) } @$runs;
	return @v ? \@v : fail_why(@$runs);
}

# --- exits -----------------------------------------------------------------
# QEMU's exit rows run on microvm (the fair start-up peer; COM1 and the
# LAPIC are the same on every machine type).  microvm has no PCI, so no
# virtio register to write: the MMIO-write row's QEMU side is one more run
# per round on q35 with a virtio-rng-pci function (SeaBIOS: 3-5 s here).
my %ex;
my $extmo = 60;
for my $i (1 .. $o{exitruns}) {
	last if $over->();
	for my $v ('ours', 'qemu', 'qemu_q35') {
		(my $vmm = $v) =~ s/_q35$//;
		next if $why{$vmm};
		my $r = guest($vmm, 'tg.checks=exits', [],
		    $v eq 'qemu_q35' ? ['-M', 'q35', '-device',
		    'virtio-rng-pci'] : ['-M', 'microvm'], undef, $extmo);
		for (@{$r->{ok} || []}) {
			next unless /exits: (\d+) ns a port read \(unclaimed\), (\d+) ns a COM1 write, (\d+) ns a LAPIC MMIO read, (\d+) ns a UD2/;
			$r->{exits} = { port_read => $1, com1_write => $2,
			    lapic_read => $3, ud2 => $4 };
		}
		$r->{exits}{mmio_write} = $r->{bench}{'exit-mmio-write ns'}
		    if $r->{exits} && defined $r->{bench}{'exit-mmio-write ns'};
		push @{$ex{$v}}, $r;
	}
}
$json->{exits_runs} = \%ex;
my @exrows = (
	['port write to a device register (COM1 scratch)', 'com1_write'],
	['port read nobody claims', 'port_read'],
	['LAPIC MMIO read (in-kernel, no VMM exit)', 'lapic_read'],
	['UD2 system call (guest CPL3->CPL0->CPL3)', 'ud2'],
	['MMIO write to a VMM register (virtio queue_select)', 'mmio_write',
	    'qemu_q35', 'QEMU side: -M q35 -device virtio-rng-pci; microvm '
	    . 'has no PCI function to write to'],
);
my @er;
for (@exrows) {
	my ($n, $k, $qk, $note) = @$_;
	push @er, row("exit: $n", 'ns', (map { my $v = $_; (my $vmm = $v) =~
	    s/_q35$//; col($why{$vmm}, $ex{$v} || [],
	    sub { $_[0]{exits} ? $_[0]{exits}{$k} : undef }) }
	    'ours', $qk // 'qemu'), $note);
}

# --- virtio-blk --------------------------------------------------------------
my $img = "$tmp/blk.img";
my %blk;
my @blknames = ('blk-randread-4k-qd1', 'blk-randread-4k-qd32',
    'blk-randwrite-4k-qd1', 'blk-randwrite-4k-qd32', 'blk-seqread-1m-qd1',
    'blk-seqread-1m-qd32', 'blk-seqwrite-1m-qd1', 'blk-seqwrite-1m-qd32');
if ($o{blkruns} > 0 && !($why{ours} && $why{qemu})) {
	# Data everywhere (a sparse image would read holes). The O_DIRECT
	# rows get a copy of their own: their writes drop the pages they
	# write from the page cache, which would leave the page-cache rows
	# reading from the disk.
	system("dd if=/dev/urandom of=$img bs=1M count=$o{imgmb} "
	    . "status=none && cp $img $img.direct") == 0 or die "$img\n";
	# The same bytes as qcow2 (every cluster allocated).
	system("qemu-img convert -f raw -O qcow2 $img $img.qcow2") == 0 or
	    die "$img.qcow2\n";
}
# host(file, args): the host's reference, blk-bench's requests by one host
# thread with no VM (guest/tools/blk-host.c), parsed as a guest run is.
sub host {
	my ($file, @args) = @_;
	my $p = reap(spawn([$blkhost, '-m', $o{ms}, @args, $file]),
	    10 + 9 * $o{ms} / 1000);
	my %r = (vmm => 'host', status => $p->{status} >> 8, bench => {});
	$r{killed} = 'timeout' if $p->{killed};
	for (map { $_->[1] } @{$p->{out}}) {
		$r{bench}{"$1 $3"} = $2 + 0 if /^# bench: (\S+) (\d+) (\S+)$/;
	}
	$r{stderr_tail} = [map { $_->[1] } @{$p->{err}}] if $r{status};
	return \%r;
}
# warm(file): read it whole, so a page-cache run starts with all of it
# cached (a run before may have had some of it dropped).
sub warm {
	my ($f) = @_;
	system("cat $f >/dev/null") == 0 or die "$f\n";
	return ();
}
my $io = $o{iothread} ? ',iothread=io0' : '';
my @qblk = ('-M', 'q35', $o{iothread} ? ('-object', 'iothread,id=io0') : ());
my $bcmd = "tg.checks=blk-bench tg.bench.ms=$o{ms}";
# 8 timed rows of tg.bench.ms each, SeaBIOS and slack on top.
my $btmo = 40 + 11 * $o{ms} / 1000;
for my $i (1 .. $o{blkruns}) {
	last if $over->();
	warm($img);
	push @{$blk{ours_pc}}, guest('ours', $bcmd, ['-d', $img], [], undef,
	    $btmo) unless $why{ours};
	push @{$blk{ours_direct}}, guest('ours', $bcmd, ['-d',
	    "direct:$img.direct"], [], undef, $btmo) unless $why{ours};
	# Before io_uring: the thread pool, which hosts without it get.
	warm($img);
	push @{$blk{ours_pool}}, guest('ours', $bcmd, ['-d', $img], [],
	    ['env', 'VMD_NO_IO_URING=1'], $btmo) unless $why{ours};
	warm("$img.qcow2");
	push @{$blk{ours_qcow2}}, guest('ours', $bcmd, ['-d', "$img.qcow2"],
	    [], undef, $btmo) unless $why{ours};
	unless ($why{host}) {
		warm($img);
		push @{$blk{host_pc}}, host($img);
		push @{$blk{host_direct}}, host("$img.direct", '-d');
	}
	next if $why{qemu};
	warm($img);
	push @{$blk{qemu_pc}}, guest('qemu', $bcmd, [], [@qblk, '-drive',
	    "file=$img,if=none,id=d0,format=raw,$o{qemu_blk_pc}", '-device',
	    "virtio-blk-pci,drive=d0,num-queues=1$io"], undef, $btmo);
	push @{$blk{qemu_direct}}, guest('qemu', $bcmd, [], [@qblk, '-drive',
	    "file=$img.direct,if=none,id=d0,format=raw,$o{qemu_blk_direct}",
	    '-device', "virtio-blk-pci,drive=d0,num-queues=1$io"], undef,
	    $btmo);
	warm("$img.qcow2");
	push @{$blk{qemu_qcow2}}, guest('qemu', $bcmd, [], [@qblk, '-drive',
	    "file=$img.qcow2,if=none,id=d0,format=qcow2,$o{qemu_blk_pc}",
	    '-device', "virtio-blk-pci,drive=d0,num-queues=1$io"], undef,
	    $btmo);
}
$json->{blk_runs} = \%blk;
# blkrow(first, mode, qemu mode, row name, name, note): the rate row of
# blk-bench's name for the first column's runs (ours or host) in mode
# against QEMU's in its mode.
sub blkrow {
	my ($f, $m, $q, $mn, $b, $note) = @_;
	my $unit = $b =~ /4k/ ? 'IOPS' : 'MB/s';
	return row("$b, $mn", $unit, col($why{$f}, $blk{"${f}_$m"} || [],
	    sub { $_[0]{bench}{"$b $unit"} }), col($why{qemu},
	    $blk{"qemu_$q"} || [], sub { $_[0]{bench}{"$b $unit"} }), $note,
	    $f);
}
my @br;
# Each: our runs, QEMU's, the row's name.
for my $mode (['pc', 'pc', 'page cache'], ['direct', 'direct', 'O_DIRECT'],
    ['qcow2', 'qcow2', 'qcow2, page cache'],
    ['pool', 'pc', 'thread pool (no io_uring), page cache']) {
	push @br, map { blkrow('ours', @$mode, $_) } @blknames;
}
# The guest's kicks per 1000 requests, page cache and O_DIRECT rows: a
# device that polls the ring sets VIRTQ_USED_F_NO_NOTIFY and is not kicked.
for my $mode (['pc', 'page cache'], ['direct', 'O_DIRECT']) {
	my ($m, $mn) = @$mode;
	for my $b (@blknames) {
		push @br, row("$b, $mn: guest kicks per 1000 requests", 'kicks',
		    col($why{ours}, $blk{"ours_$m"} || [], sub {
		    $_[0]{bench}{"$b-kicks per-1000-requests"} }),
		    col($why{qemu}, $blk{"qemu_$m"} || [], sub {
		    $_[0]{bench}{"$b-kicks per-1000-requests"} }));
	}
}
# The ceiling: the same requests by one host thread without a VM, read
# against QEMU (the most any VMM with one I/O thread could reach here).
my @hr;
for my $mode (['pc', 'page cache'], ['direct', 'O_DIRECT']) {
	my ($m, $mn) = @$mode;
	push @hr, map { blkrow('host', $m, $m, $mn, $_,
	    $_ eq $blknames[-1] && $m eq 'direct' ? 'host: the requests '
	    . 'without a VM, one thread: pread/pwrite, and for O_DIRECT at '
	    . 'QD32 an io_uring ring 32 deep (guest/tools/blk-host.c); '
	    . 'host/qemu is the most ours/qemu could be on this host' :
	    undef) } @blknames;
}
# How near ours comes to the ceiling on each row: ours / host.
my %ourrow = map { ($_->{name} => $_) } @br;
for my $h (@hr) {
	my $o = $ourrow{$h->{name}};
	next unless $o && $o->{ours}{median} && $h->{host}{median};
	$h->{ratio_ours_host} = 0 + sprintf('%.3f', $o->{ours}{median} /
	    $h->{host}{median});
	$h->{note} = sprintf('ours/host %.2f', $h->{ratio_ours_host}) .
	    ($h->{note} ? "; $h->{note}" : '');
}
push @br, row('virtio kick (MMIO write -> ioeventfd), guest side', 'ns',
    col($why{ours}, $blk{ours_pc} || [], sub { $_[0]{bench}{'virtio-kick ns'} }),
    col($why{qemu}, $blk{qemu_pc} || [], sub { $_[0]{bench}{'virtio-kick ns'} }));

# --- virtio-net --------------------------------------------------------------
my ($ns, $tap, $hip, $gip) = ("vmdbench$$", 'bt0', '10.213.9.1', '10.213.9.2');
my $netwhy = $> != 0 ? 'needs root (a network namespace and a tap)' :
    !-c '/dev/net/tun' ? 'no /dev/net/tun' : !have('ip') ? 'no ip(8)' : '';
my %net;
if (!$netwhy && $o{netruns} > 0) {
	if (system('ip', 'netns', 'add', $ns) == 0) {
		$nsmade = 1;
	} else {
		$netwhy = 'cannot create a network namespace';
	}
	if ($nsmade) {
		my @x = ('ip', 'netns', 'exec', $ns);
		system(@x, @$_) for ['ip', 'link', 'set', 'lo', 'up'],
		    ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'],
		    ['sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1'],
		    ['ip', 'tuntap', 'add', 'mode', 'tap', 'name', $tap],
		    ['ip', 'addr', 'add', "$hip/24", 'dev', $tap],
		    ['ip', 'link', 'set', $tap, 'up'];
	}
}
sub tap_rx {
	my $v = `ip netns exec $ns cat /sys/class/net/$tap/statistics/rx_packets 2>/dev/null`;
	return $v =~ /(\d+)/ ? $1 : undef;
}
# net-bench (guest to host), then net-rx-bench (host to guest: a UDP
# sender in the namespace, started before each guest, answers the guest's
# "ready" with as many frames as it can send; guest/README.md).
my $rxport = 9999;
my $ncmd = "tg.checks=net-bench,net-rx-bench tg.bench.ms=$o{ms} "
    . "tg.net.ip=$gip tg.net.host=$hip tg.bench.rxport=$rxport"
    . ($o{netargs} ne '' ? " $o{netargs}" : '');
# tx: 3 rounds (60, 1514 bytes, TSO); rx: 2 rounds of ms + about 1 s
# (ARP, ready, drain).
my $ntmo = 40 + 6 * $o{ms} / 1000 + 2 * ($o{ms} / 1000 + 1);
# The host's sender: the C one (sendmmsg, built by `make all`) unless
# --sender perl or it is missing.
my $csender = 'build/guest/net-rx-sender';
$o{sender} = 'perl' unless -x $csender;
my @snd_argv = $o{sender} eq 'c' ? ($csender, '-p', $rxport, '-r', 2, '-t',
    int($ntmo + 5)) : ('perl', 'guest/tools/net-rx-sender.pl', '--port',
    $rxport, '--rounds', 2, '--timeout', int($ntmo + 5));
$json->{net_sender} = $o{sender};
# net-tcp-bench (host-to-guest TCP, guest/check_tcp.c): a server in the
# namespace writes to each connection it accepts as fast as it can until
# the guest's RST; each VMM boots the guest twice more a round, once
# taking the receive offloads and mergeable buffers (as Linux does), once
# taking none.
my $tcpport = 5001;
my $tcmd = "tg.checks=net-tcp-bench tg.bench.ms=$o{ms} tg.net.ip=$gip "
    . "tg.net.host=$hip tg.bench.tcpport=$tcpport";
my %tcpargs = (off => "$tcmd tg.net.gso=1 tg.net.mrg=1", plain => $tcmd);
my $ttmo = 30 + 2 * $o{ms} / 1000;
my %tcp;
my @qnet = ('-M', 'q35', '-netdev',
    "tap,id=n0,ifname=$tap,script=no,downscript=no",
    '-device', 'virtio-net-pci,netdev=n0');
if (!$netwhy && $o{netruns} > 0) {
	$tcpsrv = spawn(['ip', 'netns', 'exec', $ns, 'perl',
	    'guest/tools/net-tcp-source.pl', '--timeout', int($o{budget}),
	    "$hip:$tcpport"]);
	pump_until(now() + 10, sub { grep { $_->[1] eq 'ready' }
	    @{$tcpsrv->{out}} }, $tcpsrv);
}
for my $i (1 .. ($netwhy ? 0 : $o{netruns})) {
	last if $over->();
	for my $v ('ours', 'qemu') {
		next if $why{$v};
		my $rx0 = tap_rx();
		my $snd = $sender = spawn(['ip', 'netns', 'exec', $ns,
		    @snd_argv]);
		my $r = guest($v, $ncmd, ['-t', $tap], \@qnet,
		    ['ip', 'netns', 'exec', $ns], $ntmo);
		my $rx1 = tap_rx();
		# A guest that failed or never asked leaves the sender
		# waiting: end it (ours, by its pid).
		kill 'TERM', $snd->{pid}
		    if $r->{killed} || $r->{status} || $r->{not_ok} ||
		    !grep { /net-rx-bench: done/ } @{$r->{ok} || []};
		reap($snd, 10);
		$r->{sender_status} = $snd->{status} >> 8
		    if defined $snd->{status};
		$r->{sender_killed} = 1 if $snd->{killed};
		$r->{sender_out} = [map { $_->[1] } @{$snd->{out}},
		    @{$snd->{err}}];
		for (@{$r->{sender_out}}) {
			next unless /^net-rx-sender: size (\d+) sent (\d+) frames in ([\d.]+) s to \S+, guest counted (\d+)/;
			$r->{rx_sent}{$1} = { sent => $2 + 0, seconds => $3 + 0,
			    counted => $4 + 0 };
		}
		$r->{tap_rx_frames} = $rx1 - $rx0 if defined $rx0 && defined $rx1;
		for (@{$r->{ok} || []}) {
			$r->{guest_tx_frames} = $1 if /net-bench: done, frames tx (\d+)/;
		}
		push @{$net{$v}}, $r;
		for my $k ('off', 'plain') {
			push @{$tcp{$v}{$k}}, guest($v, $tcpargs{$k},
			    ['-t', $tap], \@qnet, ['ip', 'netns', 'exec', $ns],
			    $ttmo);
		}
	}
}
if ($tcpsrv) {
	kill 'TERM', -$tcpsrv->{pid};
	reap($tcpsrv, 10);
	$tcpsrv = undef;
}
system('ip', 'netns', 'del', $ns) if $nsmade;
$nsmade = 0;
$json->{net_runs} = \%net;
$json->{tcp_runs} = \%tcp;
my @nr;
for my $b (['net-tx-60b', 'pps'], ['net-tx-1514b', 'pps'],
    ['net-tx-1514b', 'MB/s']) {
	my ($n, $u) = @$b;
	push @nr, row("guest-to-host UDP $n", $u,
	    map { col($netwhy || $why{$_}, $net{$_} || [],
	    sub { $_[0]{bench}{"$n $u"} }) } 'ours', 'qemu');
}
push @nr, row('guest-to-host TCP net-tx-tso, 64 KB segments', 'MB/s',
    (map { col($netwhy || $why{$_}, $net{$_} || [],
    sub { $_[0]{bench}{'net-tx-tso MB/s'} }) } 'ours', 'qemu'),
    'payload of TCP segments of 65160 bytes the host cuts into 1448-byte '
    . 'ones (CSUM, HOST_TSO4: the virtio_net_hdr goes to the tap), to the '
    . 'closed port 9, each answered by a RST');
push @nr, row('net-tx-tso: replies received per 1000', 'replies',
    (map { col($netwhy || $why{$_}, $net{$_} || [],
    sub { $_[0]{bench}{'net-tx-tso-replies per-1000-frames'} }) } 'ours',
    'qemu'), 'the host sends a RST for each segment; a VMM that does not '
    . 'read the tap while the guest sends loses them on the tap\'s queue '
    . '(for a TCP sender, its ACKs)');
for my $n ('net-tx-60b', 'net-tx-1514b', 'net-tx-tso', 'net-rx-60b',
    'net-rx-1514b') {
	push @nr, row("$n: guest kicks per 1000 frames", 'kicks',
	    (map { col($netwhy || $why{$_}, $net{$_} || [],
	    sub { $_[0]{bench}{"$n-kicks per-1000-frames"} }) } 'ours', 'qemu'),
	    $n eq 'net-rx-1514b' ? 'the guest kicks after 32 frames sent or '
	    . 'buffers posted, unless the device set VIRTQ_USED_F_NO_NOTIFY '
	    . '(lower is better: each kick is a VM exit)' : undef);
}
push @nr, row('guest-to-host: tap received / guest sent', '%', map { col($netwhy || $why{$_}, $net{$_} || [], sub {
    $_[0]{guest_tx_frames} && defined $_[0]{tap_rx_frames} ?
    100 * $_[0]{tap_rx_frames} / $_[0]{guest_tx_frames} : undef }) }
    'ours', 'qemu');
for my $b (['net-rx-60b', 'pps'], ['net-rx-60b', 'MB/s'],
    ['net-rx-1514b', 'pps'], ['net-rx-1514b', 'MB/s']) {
	my ($n, $u) = @$b;
	push @nr, row("host-to-guest UDP $n", $u,
	    (map { col($netwhy || $why{$_}, $net{$_} || [],
	    sub { $_[0]{bench}{"$n $u"} }) } 'ours', 'qemu'),
	    $n eq 'net-rx-60b' && $u eq 'MB/s' ? 'whole MB/s as the guest '
	    . 'prints them, too coarse for a ratio: compare the pps row' :
	    undef);
}
push @nr, row('host-to-guest TCP, guest offloads + mergeable', 'MB/s',
    (map { col($netwhy || $why{$_}, $tcp{$_}{off} || [],
    sub { $_[0]{bench}{'net-rx-tcp MB/s'} }) } 'ours', 'qemu'),
    'tg.checks=net-tcp-bench tg.net.gso=1 tg.net.mrg=1: the guest takes '
    . 'GUEST_CSUM, GUEST_TSO4 and MRG_RXBUF, as Linux does, and connects '
    . 'to a host program writing as fast as it can; payload received in '
    . 'order for tg.bench.ms (guest/check_tcp.c)');
push @nr, row('host-to-guest TCP offloads: bytes a frame', 'bytes',
    (map { col($netwhy || $why{$_}, $tcp{$_}{off} || [],
    sub { $_[0]{bench}{'net-rx-tcp-frame bytes'} }) } 'ours', 'qemu'),
    'the host hands the guest its segments whole: up to 64 KiB a frame');
push @nr, row('host-to-guest TCP, guest without offloads', 'MB/s',
    (map { col($netwhy || $why{$_}, $tcp{$_}{plain} || [],
    sub { $_[0]{bench}{'net-rx-tcp MB/s'} }) } 'ours', 'qemu'),
    'the same guest taking no offload: 1514-byte frames');
for my $sz (60, 1514) {
	push @nr, row("host-to-guest ${sz}b: guest counted / host sent", '%',
	    (map { col($netwhy || $why{$_}, $net{$_} || [], sub {
	    my $x = $_[0]{rx_sent}{$sz};
	    $x && $x->{sent} ? 100 * $x->{counted} / $x->{sent} : undef }) }
	    'ours', 'qemu'), $sz == 1514 ? 'what did not arrive was dropped '
	    . 'on the tap\'s queue; the guest counts for tg.bench.ms, the '
	    . 'sender sends until its "done" (a little longer); the perl '
	    . 'sender reaches 130-420k pps here (one socket, host load); '
	    . 'sent per run in the JSON, net_runs.*.rx_sent' : undef);
}

system('rm', '-rf', $tmp);
print_rows('exit cost (QEMU: -M microvm, 1 vCPU; the MMIO-write row: -M q35 '
    . '-device virtio-rng-pci)', 'qemu -M microvm', @er);
print_rows('virtio-blk (raw image; QEMU: q35, virtio-blk-pci'
    . ($o{iothread} ? ', iothread' : '') . "; page cache: $o{qemu_blk_pc}; "
    . "O_DIRECT: $o{qemu_blk_direct})", 'qemu q35', @br);
print_rows('virtio-blk ceiling: the same requests with no VM (host: one '
    . 'thread on the same image file, in the same rounds)', 'qemu q35',
    @hr);
print_rows('virtio-net (tap in a namespace; QEMU: q35, virtio-net-pci, '
    . 'tap backend, no vhost)', 'qemu q35', @nr);
$json->{rows} = [@er, @br, @hr, @nr];
$json->{seconds} = 0 + sprintf('%.1f', now() - $T0);
write_json($o{json}, $json);
