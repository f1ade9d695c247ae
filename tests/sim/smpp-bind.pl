#!/usr/bin/perl
# Binds to an SMSC as a transceiver with Net::SMPP and prints the bind_transceiver_resp status
# (and unbinds when the bind was taken). usage: smpp-bind.pl PORT SYSTEM_ID PASSWORD
use strict;
use warnings;
use Net::SMPP;

my ($port, $system_id, $password) = @ARGV;
die "usage: smpp-bind.pl PORT SYSTEM_ID PASSWORD\n" unless defined $password;
my ($smpp, $resp) = Net::SMPP->new_transceiver('127.0.0.1', port => $port,
	system_id => $system_id, password => $password, system_type => '',
	interface_version => 0x34, async => 0, timeout => 5);
die "smpp-bind.pl: no answer from 127.0.0.1:$port: $!\n" unless $resp;
printf "bind_transceiver_resp command_id=0x%08x status=%d\n", $resp->{cmd}, $resp->{status};
if ($resp->{status} == 0) {
	my $u = $smpp->unbind();
	printf "unbind_resp status=%d\n", $u->{status};
}
