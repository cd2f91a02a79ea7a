#!/usr/bin/perl
# A tiny HTTP/1.0 server for check-linux's download step: whoever connects
# to PORT gets FILE (any request), then the connection closes. Ends after
# --timeout seconds.
#
# usage: blob-server.pl [--timeout S] ADDR:PORT FILE
use strict;
use warnings;
use Getopt::Long;
use IO::Socket::INET;

my $timeout = 300;
GetOptions('timeout=i' => \$timeout) && @ARGV == 2
    or die "usage: blob-server.pl [--timeout S] ADDR:PORT FILE\n";
my ($addr, $file) = @ARGV;
open(my $fh, '<:raw', $file) or die "blob-server: $file: $!\n";
my $blob = do { local $/; <$fh> };
close $fh;
my $l = IO::Socket::INET->new(LocalAddr => $addr, Listen => 4,
    ReuseAddr => 1) or die "blob-server: listen $addr: $!\n";
$SIG{PIPE} = 'IGNORE';
$SIG{ALRM} = sub { exit 0 };
alarm $timeout;
$| = 1;
print "ready\n";
while (my $c = $l->accept) {
	my $req = '';
	while ($req !~ /\r?\n\r?\n/) {
		my $got = sysread($c, my $buf, 4096);
		last unless $got;
		$req .= $buf;
	}
	my $out = "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream"
	    . "\r\nContent-Length: " . length($blob) . "\r\n\r\n" . $blob;
	for (my $off = 0; $off < length($out);) {
		my $w = syswrite($c, $out, length($out) - $off, $off);
		last unless defined $w;
		$off += $w;
	}
	close $c;
}
