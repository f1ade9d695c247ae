#!/usr/bin/perl
# A stand-in for itinerad's SMPP side in the handset test: binds to osmo-msc as "itinerary",
# prints each deliver_sm (MO SMS to 12306) and answers it by submit_sm to the sender: "LONG"
# gets a two-part UCS2 message with a concatenation UDH, anything else "echo: TEXT" in the
# default alphabet. Exits once COUNT messages are answered (every submit_sm_resp in), or after
# 60 s.
# usage: esme.pl PORT COUNT
use strict;
use warnings;
use Encode qw(encode);
use Net::SMPP;

my ($port, $count) = @ARGV;
die "usage: esme.pl PORT COUNT\n" unless defined $count;
$| = 1;
alarm 60;
my $smpp = Net::SMPP->new_transceiver('127.0.0.1', port => $port, system_id => 'itinerary',
	password => 'secret', system_type => '', interface_version => 0x34, async => 1)
	or die "esme.pl: no bind: $!\n";
my ($delivered, $pending) = (0, 0);
while (my $pdu = $smpp->read_pdu()) {
	my $cmd = $pdu->{cmd};
	if ($cmd == 0x80000009) {
		print "ESME bound, status $pdu->{status}\n";
		exit 1 if $pdu->{status};
	} elsif ($cmd == 0x00000005) {
		$smpp->deliver_sm_resp(seq => $pdu->{seq}, message_id => '');
		my $text = $pdu->{short_message};
		print "ESME deliver_sm from $pdu->{source_addr} to $pdu->{destination_addr}: $text\n";
		$delivered++;
		reply($pdu->{source_addr}, $text);
	} elsif ($cmd == 0x80000004) {
		print "ESME submit_sm_resp status $pdu->{status}\n";
		$pending--;
		exit 0 if $delivered >= $count && $pending == 0;
	} elsif ($cmd == 0x00000015) {
		$smpp->enquire_link_resp(seq => $pdu->{seq});
	}
}
die "esme.pl: connection lost\n";

sub reply {
	my ($to, $text) = @_;
	my %common = (source_addr_ton => 0, source_addr_npi => 1, source_addr => '12306',
		dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => $to, registered_delivery => 0);
	if ($text ne 'LONG') {
		$smpp->submit_sm(%common, data_coding => 0, short_message => "echo: $text");
		$pending++;
		return;
	}
	my @parts = ("\x{3010}\x{884c}\x{7a0b}\x{5361}\x{3011}part one, ", "part two\x{3002}");
	for my $i (0 .. $#parts) {
		my $udh = pack('C6', 5, 0, 3, 42, scalar(@parts), $i + 1);
		$smpp->submit_sm(%common, esm_class => 0x40, data_coding => 8,
			short_message => $udh . encode('UTF-16BE', $parts[$i]));
		$pending++;
	}
}
