#!/usr/bin/perl
# Sisimai's own reading of raw bounce messages, one line per result:
#   file  recipient  reason  status  softbounce  MTA-module   ("-" where Sisimai finds no bounce)
# Labels the public corpora in tests/fixtures/bounces/ (see their READMEs). Needs Debian's
# libsisimai-perl (apt-get install libsisimai-perl). Usage: perl bench/sisimai_labels.pl FILE...
use strict; use warnings;
use Sisimai;
for my $file (@ARGV) {
    my $found = eval { Sisimai->make($file, 'delivered' => 1, 'vacation' => 1) };
    if (!$found || !@$found) { print join("\t", $file, ('-') x 5), "\n"; next }
    for my $e (@$found) {
        print join("\t", $file, $e->recipient->address, $e->reason, $e->deliverystatus || '-',
                   $e->softbounce, $e->smtpagent), "\n";
    }
}
