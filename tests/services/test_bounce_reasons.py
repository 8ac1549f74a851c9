"""The bounce classifier on labelled corpora (tests/fixtures/bounces: notices modelled on what each
MTA writes; sisimai/: real bounces from Sisimai's public test set with its labels; flufl/: the
real Mailman bounces of flufl.bounce's test data, and bounce_email/: the bounce_email gem's, both
labelled by running Sisimai 4.25.15; sisimai-more/, sisimai-eg/, baunsu/, sisimai-eg2/,
bounceparser/ (Mail::DeliveryStatus::BounceParser's test corpus), phpbounce/ (PHP-Bounce-Handler's)
and sisimai-bsd/, sisimai-bsd2/, sisimai-bsd3/ and sisimai-bsd4/ (more of Sisimai's set-of-emails),
exim-testsuite/ (the notices Exim's own test suite wrote), oss-tests/ (other open-source projects'
test messages: flanker, listmonk, the mail gem, Dada Mail, ...), assorted/ (the zoonru
PHP-Bounce-Handler fork's, bounceHammer's, CiviCRM's and Zammad's), libtests/ (mail libraries' and
the Stalwart MTA's test messages), apps/ and mailclients/ (applications' and mail clients' test
messages: MediaWiki, Odoo, Schleuder, Discourse; Delta Chat, chasquid, commons-email) and feedback/
(feedback-loop complaints from AOL, Yahoo and Hotmail, and two bounces, kept by MantaMTA, an ARF
parser and others), held out until measured, labelled
the same way; labels.tsv gives kind, reason and hard/soft per
recipient), on the rules that decide suppression, and fuzzed: it never crashes, on every message
of every corpus either."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import bounces
from services.bounce_reasons import ADDRESS_DEAD, Reason, classify, phase_in
from services.bounces import parse

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bounces"


def labels(corpus: Path) -> list[tuple[str, ...]]:
    return [tuple(line.split("\t")) for line in (corpus / "labels.tsv").read_text().splitlines()
            if line and not line.startswith("#")]


# The real corpora, each labelled by Sisimai (see its README): {directory: (the messages Sisimai
# finds nothing in, left unlabelled; how many labelled results; the share of bounce results whose
# reason must agree with Sisimai's)}. A new corpus is one line here.
REAL_CORPORA = {
    "sisimai": (set(), 117, 0.9),
    "flufl": ({"aol_01.eml", "bounce_01.eml", "dsn_15.eml", "dumbass_01.eml", "groupwise_03.eml", "hotpop_01.eml",
               "llnl_01.eml", "simple_39.eml", "simple_41.eml", "simple_43.eml", "simple_44.eml", "yahoo_12.eml"},
              122, 0.85),
    "bounce_email": ({"bounce-auto-respond.eml", "tt_1234210666.eml", "tt_1234211024.eml", "tt_1234241664.eml",
                      "tt_bounce_11.eml"}, 40, 0.7),
    "sisimai-more": ({"lhost-dragonfly-02.eml", "lhost-dragonfly-03.eml", "lhost-mimecast-01.eml",
                      "lhost-mimecast-02.eml"}, 111, 0.65),
    "sisimai-eg": (set(), 52, 0.7),
    "baunsu": ({"encoded_spam.eml", "ordinary_gmail.eml"}, 13, 0.8),
    "sisimai-eg2": ({"rfc3464-3.eml"}, 47, 0.8),
    "bounceparser": ({"aol-senderblock.eml", "aol.attachment.eml", "bluebottle.eml", "no-message-collected.eml",
                      "polish-autoreply.eml", "spam-bogus-email-in-report.eml", "spam-with-image.eml"}, 120, 0.85),
    "phpbounce": ({"fbl-hotmail.eml"}, 68, 0.9),
    "sisimai-bsd": (set(), 62, 0.6),
    "sisimai-bsd2": (set(), 39, 0.6),
    "sisimai-bsd3": (set(), 35, 0.6),
    "sisimai-bsd4": ({"lhost-dragonfly-01.eml", "rb-issue-368-bug.eml"}, 14, 0.6),
    # (Exim's test notices mostly give no reason: Sisimai says onhold or undefined for them, we the other)
    "exim-testsuite": ({"exim-0021-1.eml", "exim-0321-1.eml"}, 73, 0.35),
    "oss-tests": ({"dada-permanent_error.eml", "mbd-bounce_exchange_non_existing_mailbox.eml"}, 47, 0.6),
    "assorted": (set(), 34, 0.6),
    "libtests": (set(), 32, 0.6),
    "apps": ({"odoo-MAIL_NO_FINAL_RECIPIENT.eml"}, 8, 0.6),
    "mailclients": ({"commonsemail-multipart-report.eml"}, 13, 0.6),
    "feedback": ({"aolarf-SampleNonARFReport1.eml", "manta-HotmailAbuse.eml"}, 7, 0.6),
}
LABELLED = {name: labels(CORPUS / name) for name in REAL_CORPORA}
REAL = [(CORPUS / name, *row) for name, rows in LABELLED.items() for row in rows]
LABELS = labels(CORPUS)
SISIMAI, FLUFL, MORE, EG = CORPUS / "sisimai", CORPUS / "flufl", CORPUS / "sisimai-more", CORPUS / "sisimai-eg"
BSD, BSD4, EXIM, OSS = CORPUS / "sisimai-bsd", CORPUS / "sisimai-bsd4", CORPUS / "exim-testsuite", CORPUS / "oss-tests"

# Where we read a notice differently from its label, on purpose: (file under tests/fixtures/bounces,
# recipient) -> our class ("none": we name no such recipient; "auto-reply": no bounce at all). The
# bench still counts each against us.
DISAGREE = {
    # "550 : User unknown", Status 5.0.0, no phase: generic wording. Sisimai 4.25.15 says filtered;
    # the newer Sisimai whose tests gave the label says userunknown.
    ("sisimai/gsuite-08.eml", "otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp"): "soft",
    # "<a>: 550 unknown user <a>" from MXLogic, no status, no phase: the very notice of flufl's
    # simple_29.eml, which Sisimai 4.25.15 labels filtered (this label is the newer Sisimai's).
    ("sisimai/mxlogic-03.eml", "kijitora@example.co.jp"): "soft",
    # Exchange 5.5's "The recipient name is not recognized ... MSEXCH:IMS ... (000C05A6) Unknown
    # Recipient": a name not in the directory. Sisimai's Exchange2003 parser reads that code as
    # userunknown (groupwise_01, microsoft_01/02/04 are labelled hard) but does not read this copy,
    # whose only text part is HTML, and falls back to filtered.
    ("flufl/groupwise_02.eml", "userx@example.com"): "hard",
    # Yale's "userx    No matches to nameserver query": the failed name has no domain. Sisimai took
    # the address of the notice's example sentence ("if mike.fox@yale.edu fails, try ...").
    ("flufl/yale_01.eml", "mike.fox@yale.edu"): "none",
    # Exim's "unrouteable mail domain": its router fails the address only when DNS answers that the
    # domain has no usable record (a lookup that did not complete is "host lookup did not complete",
    # deferred): Postfix's "Host or domain name not found", which Sisimai reads hostunknown. Sisimai
    # reads this one networkerror.
    ("bounce_email/tt_bounce_01.eml", "thornborrow@connect4free.net"): "hard",
    ("bounce_email/tt_bounce_02.eml", "thornborrow@connect4free.net"): "hard",
    # CommuniGate Pro's "Failed to deliver to 'a' SMTP module(domain x) reports: host x says: 550
    # 5.1.1 User unknown": the remote's X.1.1 reply, in the text part; the DSN part has Status 5.0.0
    # and no Diagnostic-Code, and Sisimai, reading that part alone, says undefined.
    ("bounce_email/tt_bounce_07.eml", "ilona.kalnina@citrus.lv"): "hard",
    # flufl/dsn_11.eml (Sendmail, "550 joem@... User unknown", labelled userunknown/hard) with its
    # Status edited to 5.1.10 to test a longer code; X.1.10 is a dead address too (RFC 7505's null
    # MX; Office 365's RecipientNotFound). Sisimai 4.25.15 does not know the code: filtered.
    ("bounce_email/longer-status.eml", "joem@example.com"): "hard",
    # "550 <a>: User unknown", Status 5.0.0, no phase: gsuite-08's very notice (above).
    ("sisimai-more/email-gsuite-09.eml", "otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp"): "soft",
    # Postfix's "Recipient address rejected: User unknown in local recipient table", its own words at
    # RCPT: lhost-exim-61 quotes the same reply and Sisimai labels it userunknown; its ActiveHunter
    # parser says filtered here.
    ("sisimai-more/lhost-activehunter-02.eml", "kijitora@example.ed.jp"): "hard",
    # "550 5.2.1 <a>... User Unknown": email-yandex-02 quotes the same reply and Sisimai labels it
    # userunknown; its MessagingServer parser says filtered here.
    ("sisimai-more/email-messagingserver-06.eml", "kijitora@example.jp"): "hard",
    # MessageLabs' "542 <a> Rejected", Status 5.0.0: no unknown-user wording, no X.1.x status, no
    # phase; Sisimai's MessageLabs table maps "Rejected" to userunknown. Not proof of a dead address.
    ("sisimai-more/lhost-messagelabs-03.eml", "kijitora@example.com"): "soft",
    # The DSN's Final-Recipient is kijitora@neko.example.org, which we report; Sisimai took the
    # text part's ".com" spelling.
    ("sisimai-more/rfc3464-02.eml", "kijitora@neko.example.com"): "none",
    # A Terra complaint about mail to "undisclosed Terra recipient": no address; Sisimai invents one
    # under .invalid.
    ("sisimai-more/arf-03.eml", "undisclosed-recipient-in-headers@libsisimai.org.invalid"): "none",
    # A DMARC forensic report (Feedback-Type: auth-failure, RFC 6591): the recipient complained of
    # nothing, so it is no complaint (kind unknown); Sisimai reads every ARF as feedback.
    ("sisimai-more/arf-07.eml", "fake.rcpt@example.com"): "none",
    # Zoho's "550 5.2.1 <a>... User Unknown": the remote Sendmail's reply to RCPT TO (its "<a>... "
    # form), as in email-messagingserver-06 above; Sisimai itself reads the same reply userunknown
    # in sisimai-eg/qmail-02 and rfc3464-05, its Zoho parser says filtered here.
    ("sisimai-eg/zoho-02.eml", "mikeneko@example.co.jp"): "hard",
    # X-Failed-Recipients (Exim: the envelope recipient) is kijitora@example.jp, which we report
    # (soft, "554 5.7.0 Header error" after DATA); Sisimai took the text's ".or.jp" spelling, which
    # is the original's To.
    ("sisimai-eg/exim-03.eml", "kijitora@example.or.jp"): "none",
    # The DSN's block for userunknown@example.org has Status 5.1.1 and "550 5.1.1 <a>... User
    # Unknown", a reply to RCPT TO in the remote Sendmail's form; Sisimai gave it the other
    # recipient's 5.2.1 reply (its transcript comes first) and that one's reason.
    ("sisimai-eg2/sendmail-2.eml", "userunknown@example.org"): "hard",
    # "550 5.2.1 <a>... User Unknown" in reply to RCPT TO: zoho-02's reply (above); Sisimai reads
    # it userunknown in nine other notices (sisimai/exim-02, postfix-02, sisimai-eg/qmail-02 ...).
    ("sisimai-eg2/sendmail-2.eml", "filtered@example.com"): "hard",
    # sisimai/exim-02's very notice (same failure lines, labelled userunknown there) but for its
    # failed-address lines that hold local parts only: Sisimai's Exim parser then reads nothing
    # for the second recipient (undefined).
    ("sisimai-eg2/exim-3.eml", "sabatora@example.jp"): "hard",
    # A DMARC forensic report (auth-failure), as sisimai-more/arf-07 above: no complaint.
    ("sisimai-eg2/arf-14.eml", "postmaster@outlook.com"): "none",
    # "Subject: Thank you for your e-mail", from a person, "Thank you for you e-mail. I will
    # endeavour to reply as soon as possible.": an auto-reply (BounceParser's own autoreply.t says
    # no bounce), which Sisimai reads as a bounce of its sender (onhold).
    ("bounceparser/autoreply.eml", "john@a.b.c"): "auto-reply",
    # Sendmail relayed Exim's refusal of our *sender* ("550-Verification failed for <bouncebacks+...>
    # ... 550 Sender verify failed", then "503-All RCPT commands were rejected with this error:
    # 503-Sender verify failed") as "550 5.1.1 ... User unknown": the recipient was never asked
    # about. Sisimai reads the 5.1.1 (hostunknown, hard); for us the sender was refused: rejected.
    ("phpbounce/sendmail-dsn-hdrs-503.eml", "autorespondtest@example.net"): "soft",
    # RFC 5965's sample reports: no Original-Rcpt-To, the reported message's To is "<Undisclosed
    # Recipients>"; Sisimai puts its placeholder undisclosed-recipient-in-headers@libsisimai.org.invalid,
    # no address anyone was sent to. (arf2, an opt-out report, names its Removal-Recipient: that one
    # we take.) Both were arf1.txt and arf2.txt upstream.
    ("phpbounce/arf1.eml", "undisclosed-recipient-in-headers@libsisimai.org.invalid"): "none",
    ("phpbounce/arf2.eml", "undisclosed-recipient-in-headers@libsisimai.org.invalid"): "none",
    # The same in RFC 5965's minimal sample (To: <Undisclosed Recipients>) and Return Path's FBL
    # report (To: "undisclosed", no Original-Rcpt-To): a complaint naming nobody.
    ("sisimai-bsd4/arf-11.eml", "undisclosed-recipient-in-headers@libsisimai.org.invalid"): "none",
    ("sisimai-bsd4/arf-15.eml", "undisclosed-recipient-in-headers@libsisimai.org.invalid"): "none",
    # OpenDMARC's DMARC failure reports (Feedback-Type: auth-failure), as sisimai-more/arf-07: the
    # sender's mail failed authentication, no recipient complained.
    ("sisimai-bsd4/arf-09.eml", "fake.recipient@example.org"): "none",
    ("sisimai-bsd4/arf-20.eml", "kijitora@example.org"): "none",
    # "550 maria@dest.example.net... No such user", Status 5.0.0, relayed by MessageLabs with no
    # phase: generic wording, and no bracketed Sendmail echo of RCPT TO. Sisimai 4.25.15 says
    # filtered, as it does for SurfControl's identical "550 a@b... No such user"
    # (sisimai-bsd/lhost-surfcontrol-01); the newer Sisimai whose tests gave this label says userunknown.
    ("sisimai/messagelabs-02.eml", "maria@dest.example.net"): "soft",
    # "550-5.1.0 MXIN506 MailFrom domain is listed in Spamhaus ... (in reply to MAIL FROM command)":
    # our sender's domain on a blocklist, refused before any recipient was named. Sisimai 4.25.15
    # reads the 5.1.0 as userunknown (hard); today's Sisimai (its test for lhost-postfix-80) says
    # blocked, as we do.
    ("sisimai-bsd/lhost-postfix-80.eml", "xxxx@xxxx.com"): "soft",
    # Yahoo relays "550: <a>: User unknown" with no status and no phase: generic wording (Yahoo
    # itself says "dd This user doesn't have ... account" after DATA). Sisimai 4.25.15 says
    # userunknown here, but filtered for Yahoo's notice about the same address sixteen minutes
    # earlier, "550: : User unknown" (lhost-yahoo-06), which differs only by the echoed address.
    ("sisimai-bsd/lhost-yahoo-07.eml", "otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp"): "soft",
    # Postfix's "Name service error for name=b type=MX: Malformed or unexpected name server reply",
    # Status 5.4.4 (relayed by AOL): a name server that answers garbage says nothing about whether
    # the domain exists. Sisimai 4.25.15 says networkerror (soft) for the very same wording and
    # status from other Postfix hosts (sisimai-eg/postfix-17, bounceparser/malformed-dns) and
    # notaccept only when its AOL module reads it.
    ("sisimai-bsd2/rhost-aol-06.eml", "neko@libsisimai.org"): "soft",
    # Exim: "SMTP error from remote mail server after end of data: 553 neko.example.com does not
    # exist", neko.example.com being the reporting (sending) host, not the recipient's domain
    # (example.net): our side refused, after the recipient was accepted. Sisimai 4.25.15 says
    # hostunknown (hard); for the same remote's "553 5.1.0 ... neko.example.com does not exist"
    # after MAIL FROM (sisimai/exim-51) Sisimai's tests say rejected.
    ("sisimai-bsd2/lhost-exim-37.eml", "kijitora@example.net"): "soft",
    # Sendmail pipelines RCPT TO and DATA and prints the refusal of RCPT under ">>> DATA": "<<< 550
    # 5.7.1 <a>: Recipient address rejected: User unknown", then "<<< 554 5.5.1 Error: no valid
    # recipients", Postfix's reply to DATA when every RCPT was refused (and "Recipient address
    # rejected" is Postfix's RCPT-time wording). The address was refused as unknown: hard. Sisimai
    # 4.25.15 says filtered only for the 5.7.1 under DATA: with the same reply under RCPT, or with
    # 5.1.1 under DATA (sisimai-bsd2/lhost-sendmail-52, au.com), it says userunknown.
    ("sisimai-bsd2/lhost-sendmail-48.eml", "pseudo-local-part-kijitora-nyaan@sfr.fr"): "hard",
    # Exim's "unrouteable mail domain": Exim 3's route.c gives an address no router accepted that
    # message (the lookuphost router declines a domain the DNS does not know; see bounce_email/
    # tt_bounce_01 above); Exim 4 says "Unrouteable address" for the same, which Sisimai reads
    # hostunknown (exim-0051-1). The test configuration's redirect router copies the wording
    # (":fail: unrouteable mail domain ..."); Sisimai 4.25.15 reads it networkerror.
    ("exim-testsuite/exim-0051-2.eml", "userx@badbad.ex"): "hard",
    # "an undisclosed address (generated from useryx@test.ex)": Exim hides the target and says no
    # reason for it; Sisimai gives it the reason of the entry before ("Unrouteable address"), hard.
    ("exim-testsuite/exim-0224-1.eml", "useryx@test.ex"): "soft",
    # Exchange's "550 5.1.10 <host>; Recipient not found by SMTP address lookup" (RESOLVER.ADR.
    # RecipientNotFound, the recipient's own Exchange looking it up): a dead address, as X.1.10 is
    # (bounce_email/longer-status above). Sisimai 4.25.15 does not know the code: filtered.
    ("assorted/zoonru-bounce-005.eml", "krylovasa@example.test"): "hard",
    ("assorted/zoonru-bounce-008.eml", "platonov.i@example.test"): "hard",
    # BlackBerry relays Postfix's "550-'5.1.1 <a>: Recipient address rejected: User unknown in virtual
    # alias table'": Postfix's smtpd says "Recipient address rejected" only at RCPT (as for
    # sisimai-more/lhost-activehunter-02 above). Sisimai 4.25.15 reads BlackBerry's "5.1.0 - Unknown
    # address error" wrapper: filtered.
    ("assorted/bouncehammer-blackberry.eml", "non-existent-blackberry-user-addr@docomo.blackberry.com"): "hard",
    # Sendmail: ">>> DATA", "<<< 553 5.3.0 <a>... Unknown E-Mail Address", Sendmail's own "550 5.1.1
    # <a>... User unknown", then "<<< 503 5.0.0 Need RCPT (recipient)": the reply to DATA itself is the
    # 503, so every RCPT had been refused and the 553 under ">>> DATA" answered the pipelined RCPT TO
    # (as sisimai-bsd2/lhost-sendmail-48 above). Sisimai 4.25.15 reads the 5.3.0: filtered.
    ("oss-tests/mail-report_530.eml", "edwin@zzzzzzz.com"): "hard",
    # Exim: "SMTP error from remote mail server after end of data: 550 Message was not accepted --
    # invalid mailbox. Local mailbox a@b is unavailable: user not found": the recipient was accepted at
    # RCPT and the message refused after DATA, as docomo's "550 Unknown user a@b" after DATA
    # (assorted/bouncehammer-04-docomo-filter), which Sisimai labels filtered. Soft to us (the
    # repeated-soft-bounce policy suppresses a dead address later); Sisimai 4.25.15 says userunknown.
    ("assorted/zoonru-bounce-002.eml", "recipient.two@example.test"): "soft",
    # iCloud masks the Final-Recipient ("rfc822; ********************@**********"), no address; Sisimai
    # takes it as it is. We report the Original-Recipient, max.mustermann@example.org (soft, filtered).
    ("oss-tests/mail-original_recipient.eml", "********************@**********"): "none",
    # Amazon SES (2011) relaying Gmail's "550-5.1.1 The email account that you tried to reach does not
    # exist" ("5.1.0 - Unknown address error 550-\"5.1.1 ...\"", Status 5.0.0): Sisimai 4.25.15 says
    # filtered, yet userunknown for the same Gmail reply in eight other notices (oss-tests/flanker-zed,
    # listmonk-gmail, mail-multi_address_bounce1, deliveryboy-unknown_recipient2; baunsu/bounce_gmail,
    # sisimai-bsd2/rhost-google-02, sisimai-eg2/gmail-14, bounce_email/undeliverable_gmail)
    ("oss-tests/dada-bounce-gmail-550-5.1.1.eml", "this.is.going.to.bounce.67876543@gmail.com"): "hard",
    # Postfix's DSN with its Final-Recipient anonymised to "********************@**********", no address,
    # Hotmail's own MX (BAY004-MC6F28) gives its reply only in X-Supplementary-Info, "< #5.5.0 smtp;550
    # Requested action not taken: mailbox unavailable (495782920:4198:-2147467259)>", which Sisimai
    # 4.25.15 does not read (undefined). The same Hotmail reply with its bracketed code, as a
    # Diagnostic-Code and with the same Status 5.5.0, Sisimai labels userunknown four times
    # (sisimai-bsd3/email-outlook-05, from a BAY004-MC host too; phpbounce/10 and 20,
    # sisimai-bsd/lhost-outlook-08); BY_MTA reads it so. Exchange's field, as in oss-tests/mbd-*.
    ("oss-tests/dada-hotmail-utf7.eml", "bouncing.email@example.com"): "hard",
    # Stalwart: "host 'mx.example.org' rejected command 'RCPT TO:<foobar@example.org>' with code 550
    # (5.1.2) 'User does not exist'" (Diagnostic-Code "smtp;550 User does not exist"): the recipient's
    # host refused the address at RCPT, permanently, saying the user does not exist, which Sisimai
    # labels userunknown for Postfix's "Recipient address rejected: user a@b does not exist (in reply
    # to RCPT TO command)" (libtests/chatwoot-bounced_with_no_from) and Office 365's "User does not
    # exist" (office365-userunknown-53). Sisimai 4.25.15 reads Stalwart's wording filtered.
    ("libtests/stalwart-failure.eml", "foobar@example.org"): "hard",
    ("libtests/stalwart-mixed.eml", "foobar@example.org"): "hard",
    # Feedback-loop reports that say they hid the recipient: AOL's "Redacted-Address: redacted" /
    # "Redacted-Address: redacted@" fields, then the reported message "To: redacted@aol.com" (no
    # Original-Rcpt-To), and Comcast's "Original-Rcpt-To: undisclosed comcast recipient
    # <redacted@comcast.net>". The placeholder is no address anyone was sent to; a complaint naming it
    # matched no delivery (the inbound listener kept it unmatched), naming nobody it is the
    # return-path token's own delivery's. Sisimai names the placeholder.
    ("feedback/aolarf-SampleARFReport1.eml", "redacted@aol.com"): "none",
    ("feedback/aolarf-SampleARFReport2.eml", "redacted@aol.com"): "none",
    ("feedback/mailio-rfc822.eml", "redacted@aol.com"): "none",
    ("feedback/manta-AolAbuse.eml", "redacted@aol.com"): "none",
    ("oss-tests/flanker-complaint-aol.eml", "redacted@aol.com"): "none",
    ("phpbounce/fbl-aol.eml", "redacted@aol.com"): "none",
    ("phpbounce/fbl-comcast.eml", "redacted@comcast.net"): "none",
    ("sisimai-eg/arf-01.eml", "redacted@example.net"): "none",
}

# Real bounces the classifier does not recognise yet (soft by their labels; the bench counts them
# against us): an fml "Loop Alert" (fml-01), a mailing list's notice about a loop, from the list.
NOT_RECOGNISED = {("sisimai-more/email-fml-01.eml", "2ndml@example.com"),
                  # Lotus Notes' "Message has exceeded maximum hop count": no address in the notice,
                  # only the returned message's To (a mailing list), which we never take
                  ("sisimai-eg/notes-04.eml", "india-gii-oOvZX6Rv2P8@xxxxxxxxxxxxxxxx"),
                  # Sendmail's "550 Host unknown" for "recipient@#example.net": no valid address (a
                  # "#" in the domain), so none we could have sent to; Sisimai takes it as it is
                  ("bounceparser/sendmail-host-unknown.eml", "recipient@#example.net"),
                  # Exim's failures of a pipe and a file given as addresses ("pipe to |/p/q/r generated by
                  # |/p/q/r@no.test.ex", "Final-Recipient: rfc822;/a/b/c"): no mailbox anyone was sent
                  # to, which we never take as a recipient; Sisimai names them as they are
                  ("exim-testsuite/exim-0226-1.eml", "|/p/q/r@no.test.ex"),
                  ("exim-testsuite/exim-0226-1.eml", "/a/b/c@no.test.ex"),
                  ("exim-testsuite/exim-0237-1.eml", "|/p/q/r@no.test.ex"),
                  ("exim-testsuite/exim-0237-1.eml", "/a/b/c@no.test.ex"),
                  # a system filter's pipe failed: "pipe to |... generated by system-filter" names no
                  # address; pipe@test.ex is only in the pipe's output ("Args:") and the copy's Received
                  ("exim-testsuite/exim-0164-1.eml", "pipe@test.ex")}


def found_class(report, recipient: str) -> str:
    """hard / soft for the failure naming `recipient` (Final- or Original-Recipient, as the inbound
    listener matches it), "none" when there is none."""
    failure = next((f for f in report.failures if recipient.lower() in (f.recipient, f.original_recipient)), None)
    return "none" if failure is None else "hard" if failure.hard else "soft"


def test_the_corpus_covers_many_reasons_and_every_kind():
    assert {row[1] for row in LABELS} == {"bounce", "complaint", "auto-reply", "delivered"}
    assert len({row[3] for row in LABELS}) >= 25
    assert {p.name for p in CORPUS.glob("*.eml")} == {row[0] for row in LABELS}


@pytest.mark.parametrize("name, kind, recipient, reason, label", LABELS)
def test_each_labelled_report(name, kind, recipient, reason, label):
    report = parse((CORPUS / name).read_bytes())
    assert report.kind == kind
    if (name, recipient) in DISAGREE:
        assert found_class(report, recipient) == DISAGREE[name, recipient]
    elif kind == "bounce":
        failure = next(f for f in report.failures if f.recipient == recipient)
        assert (failure.reason, "hard" if failure.hard else "soft") == (reason, label)
    elif kind == "complaint":
        assert recipient in report.complained
    else:
        assert report.failures == ()


@pytest.mark.parametrize("name", REAL_CORPORA)
def test_each_real_corpus_is_labelled_but_for_what_sisimai_finds_no_bounce_in(name):
    unlabelled, results, _ = REAL_CORPORA[name]
    assert {p.name for p in (CORPUS / name).glob("*.eml")} - {row[0] for row in LABELLED[name]} == unlabelled
    assert len(LABELLED[name]) == results  # see its README


def test_the_sisimai_corpus_covers_many_mtas_and_providers():
    assert len({row[0].rsplit("-", 1)[0] for row in LABELLED["sisimai"]}) >= 30


def test_an_exim_alias_fails_as_its_target_and_is_matched_by_the_alias():
    """Exim's DSN names the alias (the address sent to) in Final-Recipient; its text names the
    generated address that failed, "bounce@test.ex\n    (generated from userxx@test.ex)"."""
    failures = {f.recipient: f for f in parse((EXIM / "exim-0224-1.eml").read_bytes()).failures}
    assert (failures["bounce@test.ex"].original_recipient, failures["bounce@test.ex"].hard) == ("userxx@test.ex", True)
    assert failures["useryx@test.ex"].hard is False  # "an undisclosed address (generated from ...)": no reason given
    [piped] = parse((EXIM / "exim-0015-2.eml").read_bytes()).failures  # a pipe "generated by" an address
    assert (piped.recipient, piped.original_recipient) == ("page+userx@test.ex", "page+ux@test.ex")


@pytest.mark.parametrize("name", ["exim-0021-1.eml", "exim-0321-1.eml"])
def test_exims_notices_without_a_mailbox_name_nobody(name):
    """"Mail failure - no recipient addresses": nothing was sent anywhere (the copy's From is
    ours); a pipe given as the address ("|/bin/cat\\ /etc/aliases\\ @test.ex") is no mailbox."""
    assert parse((EXIM / name).read_bytes()).failures == ()


def test_exims_x_failed_recipients_names_the_address_as_it_is():
    """Exim's own list of the addresses that failed, like a DSN's recipient field: an unqualified
    host and a quoted local part are still the address that failed."""
    for name, recipient in [("exim-0176-1.eml", "someone@somewhere"),
                            ("exim-5204-1.eml", '"fail cannot route this one (fail)"@some.host')]:
        assert [(f.recipient, f.hard) for f in parse((EXIM / name).read_bytes()).failures] == [(recipient, False)]


@pytest.mark.parametrize("name, recipient, reason", [
    # the DragonFly Mail Agent relaying Gmail's 5.7.26 DMARC refusal (Sisimai 4.25.15 has no parser for it)
    ("lhost-dragonfly-01.eml", "pseudo-local-part@google.example.com", Reason.AUTHFAILURE),
    # a hoster's free-text notice in mbox form: "reject reason: Mailbox full / target mail address: ..."
    ("rb-issue-368-bug.eml", "xxxx@yyyyyy.net", Reason.MAILBOXFULL)])
def test_the_unlabelled_held_out_bounces_are_soft_failures(name, recipient, reason):
    report = parse((BSD4 / name).read_bytes())
    assert report.kind == "bounce"
    assert [(f.recipient, f.reason, f.hard) for f in report.failures] == [(recipient, reason, False)]


@pytest.mark.parametrize("name, recipient, reason, hard", [
    # Yahoo's "Failure Notice": "I'm afraid I wasn't able to deliver the following message. This is a
    # permanent error", the address only in its "To:" line, no reason given
    ("dada-permanent_error.eml", "subscriber@example.com", Reason.ONHOLD, False),
    # Exchange 2007 relaying Gmail's "550-5.1.1 The email account that you tried to reach does not
    # exist", its Final-recipient folded onto a second line (Sisimai 4.25.15 finds no bounce)
    ("mbd-bounce_exchange_non_existing_mailbox.eml", "email_that_does_not_exists_this_is_just_a_test@gmail.com",
     Reason.USERUNKNOWN, True)])
def test_the_unlabelled_oss_tests_bounces_as_they_arrived(name, recipient, reason, hard):
    report = parse((OSS / name).read_bytes())
    assert report.kind == "bounce"
    assert [(f.recipient, f.reason, f.hard) for f in report.failures] == [(recipient, reason, hard)]


@pytest.mark.parametrize("corpus, name, kind, recipient, reason, label", REAL,
                         ids=[f"{c.name}/{row[0]}-{row[2]}" for c, *row in REAL])
def test_each_real_bounce_is_found_and_suppressed_only_when_dead(corpus, name, kind, recipient, reason, label):
    """Every recipient found, hard exactly when Sisimai says the address is dead (but for DISAGREE);
    auto-replies, delivery notices and DMARC failure reports are no failure and no complaint. The
    reason may differ where the two classifiers read a notice differently (see the next test)."""
    report, key = parse((corpus / name).read_bytes()), (f"{corpus.name}/{name}", recipient)
    if key in NOT_RECOGNISED:
        assert report.kind == "unknown"
    elif DISAGREE.get(key) == "auto-reply":
        assert report.kind == "auto-reply" and report.failures == ()
    elif kind == "bounce":
        assert report.kind == kind
        assert found_class(report, recipient) == DISAGREE.get(key, label), report.failures
    elif kind == "delivered" and report.kind == "bounce":
        # a report that delivered to this recipient and failed or delayed others (Stalwart's mixed
        # DSN): the others fail, this one does not
        assert report.failures and found_class(report, recipient) == "none"
    elif kind == "complaint":
        assert report.failures == ()
        assert (recipient in report.complained) == (DISAGREE.get(key) != "none")
    else:
        assert report.kind == kind and report.failures == () and report.complained == ()


def test_no_real_bounce_names_an_address_it_did_not_fail():
    """A heuristic must not take the quoted original's To, a From or a Message-ID for the failed
    recipient (OpenSMTPD's notice once yielded the original's To: a different address)."""
    labelled = {}
    # (flufl's, bounce_email's and baunsu's labels do not name every address their notices fail)
    for corpus, name, kind, recipient, *_ in [row for row in REAL
                                              if row[0].name not in ("flufl", "bounce_email", "baunsu")]:
        labelled.setdefault((corpus, name), set()).add(recipient.lower())
    labelled[EG, "exim-03.eml"] = {"kijitora@example.jp"}  # its X-Failed-Recipients (see DISAGREE)
    labelled[MORE, "rfc3464-02.eml"] = {"kijitora@neko.example.org"}  # its Final-Recipient (see DISAGREE)
    # Exim refused the malformed "kijitora@example.com <neko@example.net>" itself: both are named
    labelled[MORE, "email-exim-52.eml"] |= {"kijitora@example.com"}
    # T-Online's notice lists the two addresses that failed; its X-Failed-Recipients (Sisimai's label),
    # anonymised apart from them, names a third
    labelled[BSD, "lhost-deutschetelekom-02.eml"] |= {"example1@t-online.de", "example2@t-online.de"}
    # the alias it was sent to, the Final-Recipient's local target (Sisimai's label) its expansion
    labelled[BSD, "lhost-postfix-79.eml"] |= {"nekko@c.example.co.jp"}
    # Exim's DSN names them too: a pipe's owner (Final-Recipient userx@test.ex), a file's (file@test.ex)
    labelled[EXIM, "exim-0098-1.eml"] |= {"userx@test.ex"}
    labelled[EXIM, "exim-0224-2.eml"] |= {"file@test.ex"}
    # its Final-Recipient anonymised to asterisks (Sisimai's label); the Original-Recipient is an address
    labelled[OSS, "mail-original_recipient.eml"] |= {"max.mustermann@example.org"}
    for (corpus, name), recipients in labelled.items():
        assert {f.recipient for f in parse((corpus / name).read_bytes()).failures} <= recipients, name


@pytest.mark.parametrize("name", REAL_CORPORA)
def test_the_reasons_agree_with_sisimai(name):
    corpus, rows, share = CORPUS / name, LABELLED[name], REAL_CORPORA[name][2]
    reports = {name: parse((corpus / name).read_bytes()) for name in {row[0] for row in rows}}
    bounces = [row for row in rows if row[1] == "bounce"]
    agreed = [row for row in bounces if any(row[2].lower() in (f.recipient, f.original_recipient) and f.reason == row[3]
                                            for f in reports[row[0]].failures)]
    assert len(agreed) / len(bounces) >= share


@pytest.mark.parametrize("status, code, text, expected", [
    ("5.1.1", 550, "550 5.1.1 User unknown", (Reason.USERUNKNOWN, True)),
    ("4.1.1", 450, "450 4.1.1 unverified address: User unknown", (Reason.USERUNKNOWN, False)),  # not permanent
    ("5.2.2", 552, "552 5.2.2 Mailbox full", (Reason.MAILBOXFULL, False)),
    ("5.7.1", 554, "554 5.7.1 blocked using zen.spamhaus.org", (Reason.BLOCKED, False)),
    ("5.1.2", 550, "550 5.1.2 <a@b.example>... User unknown", (Reason.USERUNKNOWN, True)),  # the text wins
    # a policy status contradicts "unknown" (Sun Messaging Server): not dead unless the RCPT reply says so
    ("5.7.1", 550, "550 5.7.1 550 User Unknown: a@b.example", (Reason.FILTERED, False)),
    ("5.1.10", 550, "", (Reason.NOTACCEPT, True)),  # the status alone
    # RFC 3463's X.2.0 "Other or undefined mailbox status": something about the mailbox, not a full one
    ("5.2.0", 550, "550 5.2.0 Message delivery failed", (Reason.FILTERED, False)),
    ("", 550, "", (Reason.ONHOLD, False)),  # a bare 550 proves nothing about the address
    # Postfix says "Recipient address rejected" only at RCPT: the text wins over a policy status
    ("5.7.1", 554, "554 5.7.1 <a@b.example>: Recipient address rejected: Nonexistent user",
     (Reason.USERUNKNOWN, True)),
    # RFC 5321's own 550 text: hard in reply to RCPT (qmail's "does not like recipient", whose
    # "Giving up on <IP>" ends every permanent failure), generic wording otherwise
    ("", None, "<a@b.example>: 192.0.2.1 does not like recipient. Remote host said: 550 Requested action not "
               "taken: mailbox unavailable Giving up on 192.0.2.1.", (Reason.USERUNKNOWN, True)),
    ("", 550, "550 Requested action not taken: mailbox unavailable", (Reason.FILTERED, False)),
    # Gmail's "(state 14)": the remote refused RCPT TO
    ("5.0.0", 550, "Google tried to deliver your message, but it was rejected by the recipient domain. The error "
                   "that the other server returned was: 550 550 Address unknown (state 14).", (Reason.USERUNKNOWN, True)),
    ("5.1.1", None, "User a (a@b.example) not listed in public Name & Address Book", (Reason.USERUNKNOWN, True)),
    ("5.0.0", None, "Recipient user name a (a@b.example ) not unique. Several matches found in Domino Directory.",
     (Reason.SYSTEMERROR, False)),
    ("5.0.0", None, "mail for b.example loops back to myself", (Reason.SYSTEMERROR, False)),
    ("", None, "Message rejected. Not enough storage space in user's mailbox to accept message.",
     (Reason.MAILBOXFULL, False)),
    # qmail-send: every MX refused the recipient at RCPT
    ("5.5.0", None, "Sorry, no SMTP connection got far enough; most progress was RCPT TO response; remote host "
                    "192.0.2.32 said: 550 Unknown user a@b.example", (Reason.USERUNKNOWN, True)),
    ("5.5.0", None, "mail.local: unknown user: a 554 <a@b.example>... Service unavailable", (Reason.USERUNKNOWN, True)),
    ("5.5.0", 554, "554 The mail could not be delivered to the recipient because the domain is not reachable. "
                   "Please check the domain and try again", (Reason.HOSTUNKNOWN, True)),
    ("5.0.0", 554, "554 INVALID IP FOR SENDING MAIL OF DOMAIN", (Reason.BLOCKED, False)),
    ("", None, "The group you tried to contact (g) may not exist, or you may not have permission to post messages "
               "to the group.", (Reason.REJECTED, False)),
    ("", None, "malformed address: <a@b.example> may not follow <c@d.example>", (Reason.SYNTAXERROR, False)),
    ("5.0.0", 542, "542 a@b.example Rejected", (Reason.UNDEFINED, False)),
    # wording of the BounceParser round: a suspended or deactivated mailbox is no dead address,
    # whatever the reporting MTA's status (5.1.1) or the reply code (551) say
    ("5.1.1", 550, "550 [SUSPEND] Mailbox currently suspended - Please contact correspondent directly",
     (Reason.SUSPEND, False)),
    ("5.0.0", 551, "551 <a@b.example> is a deactivated mailbox", (Reason.SUSPEND, False)),
    ("5.1.1", 550, "550 RCPT TO:<a@b.example> max message size exceeded", (Reason.MESGTOOBIG, False)),
    ("5.0.0", None, "Name service error for name=b.example type=MX: Malformed name server reply",
     (Reason.NETWORKERROR, False)),  # older Postfix: the resolver failed, the domain may exist
    ("5.0.0", None, "[b.example]: Name or service not known", (Reason.HOSTUNKNOWN, True)),
    ("5.0.0", 553, "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
     (Reason.NORELAYING, False)),
    ("5.0.0", 550, "550 <a@b.example> Benutzer hat zuviele Mails auf dem Server. / User has too many messages "
                   "on the server.", (Reason.MAILBOXFULL, False)),
    ("5.7.0", None, "The recipient mailbox has exceeded its disk space limit.", (Reason.MAILBOXFULL, False)),
    ("5.7.1", 554, "554 5.7.1 Your message failed several antispam checks (SCORING) ... be sure your mailserver "
                   "is configured correctly (spf , HELO, PTR)", (Reason.SPAMDETECTED, False)),
    ("5.7.1", 550, "550 5.7.1 Your email breaches local URIBL policy.", (Reason.SPAMDETECTED, False)),
    ("5.0.0", 550, "550 REJECTED - 192.0.2.8 is not allowed to send mail from b.example", (Reason.BLOCKED, False)),
    ("", None, "a@b.example (ultimately generated from c@d.example) all hosts have been failing for a long time "
               "and were last tried after this message arrived", (Reason.EXPIRED, False)),
    ("5.5.0", 550, "550 Requested action not taken: mailbox unavailable (1171782072:1364:-2147467259)",
     (Reason.USERUNKNOWN, True)),  # Hotmail's own code in brackets (2006)
    # wording of the apps round: without the brackets, RFC 5321's text with an RFC 3463 code beside
    # it, in the reply or only in the DSN's Status (Hotmail's own DSN, apps/mediawiki-emailStatus2),
    # reads as Microsoft's "550 5.5.0 Requested action not taken: mailbox unavailable"
    ("5.5.0", 550, "550 Requested action not taken: mailbox unavailable", (Reason.USERUNKNOWN, True)),
    ("5.5.0", 550, "550 5.5.0 Requested action not taken: mailbox unavailable", (Reason.USERUNKNOWN, True)),
    ("5.0.0", 550, "550 Requested action not taken: mailbox unavailable", (Reason.FILTERED, False)),  # X.0.0: no code
    ("5.7.1", 550, "550 Requested action not taken: mailbox unavailable", (Reason.FILTERED, False)),  # a policy status
    # a routing, system or content status beside the generic text says nothing of the mailbox
    ("5.4.4", 550, "550 Requested action not taken: mailbox unavailable", (Reason.FILTERED, False)),
    ("5.3.2", 550, "550 Requested action not taken: mailbox unavailable", (Reason.FILTERED, False)),
    ("5.6.0", 550, "550 Requested action not taken: mailbox unavailable", (Reason.FILTERED, False)),
    ("5.5.0", 550, "550 Requested action not taken: mailbox unavailable (in reply to end of DATA command)",
     (Reason.FILTERED, False)),  # refused after DATA: this message, not the address
    ("5.1.1", 550, "550-Verification failed for <bounces@gp.example.com>", (Reason.REJECTED, False)),  # Exim
    ("", None, "Mailbox quota usage exceeded. Espacio en casilla de mail agotado.", (Reason.MAILBOXFULL, False)),
    # wording of the sisimai-bsd round
    ("5.5.0", 550, "550 Requested action not taken: mailbox unavailable (-0000000022:2222:-0000000022)",
     (Reason.USERUNKNOWN, True)),  # Hotmail's bracketed code, either number signed
    ("5.7.1", 550, "550 5.7.1 <a@b.example>: Recipient address rejected: User a@b.example temporary locked. "
                   "Please try again later!", (Reason.SUSPEND, False)),
    ("5.0.0", 501, "501 Rcpt-To validation failed: RCPT TO not accepted: 5.7.1 This system is not configured to "
                   "relay mail", (Reason.NORELAYING, False)),
    ("5.0.0", 550, "550 Unauthenticated senders not allowed", (Reason.SECURITYERROR, False)),  # SMTP AUTH wanted
    ("5.0.0", 554, "554 Message rejected: Email address is not verified. The following identities failed the "
                   "check in region US-EAST-1: a@b.example", (Reason.REJECTED, False)),  # SES: our identity
    ("5.5.0", 554, "554 mx1.b.example ESMTP not accepting connections", (Reason.BLOCKED, False)),
    ("5.0.0", 554, "554 Transaction failed: Duplicate header 'DKIM-Signature'.", (Reason.CONTENTERROR, False)),
    # wording of the sisimai-bsd2 round: receiving providers' own codes
    ("5.0.0", 550, "550 Ip frequency limited [abc Blocked IP 192.0.2.22]. http://service.mail.qq.com/",
     (Reason.TOOMANYCONN, False)),  # Tencent QQ
    ("5.0.0", 550, "550 Blocked IP 192.0.2.22", (Reason.BLOCKED, False)),
    ("5.1.0", 550, "550 5.1.0 <s@a.example> sender rejected. Refer to Error Codes section at "
                   "https://www.cox.com/residential/support/email-error-codes.html AUP#CDRBL", (Reason.BLOCKED, False)),
    ("5.1.0", 550, "550 5.1.0 <s@a.example> sender rejected. AUP#CXDNS", (Reason.REQUIREPTR, False)),  # Cox
    ("5.1.0", 550, "550 5.1.0 <s@a.example> sender rejected. Please see https://www.spectrum.net/support/internet/"
                   "understanding-email-error-codes for more information. AUP#In-1310", (Reason.TOOMANYCONN, False)),
    ("5.1.0", 550, "550 5.1.0 <s@a.example> sender rejected. AUP#CXSNDR", (Reason.REJECTED, False)),  # Cox: the sender
    ("5.0.0", 550, "550 <a@b.example>: invalid address", (Reason.USERUNKNOWN, True)),  # 1&1 echoes the address
    ("5.7.1", 550, "550 5.7.1 sender invalid address", (Reason.POLICYVIOLATION, False)),  # not an echoed recipient
    # the same Postfix wording Sisimai reads as notaccept only behind AOL (see DISAGREE)
    ("5.4.4", None, "Name service error for name=b.example type=MX: Malformed or unexpected name server reply",
     (Reason.NETWORKERROR, False)),
    # wording of the oss-tests round
    ("5.2.0", None, "Message delivery failed", (Reason.FILTERED, False)),  # X.2.0: undefined mailbox status, not full
    ("5.7.1", 554, "554 5.7.1 [CS01] Message rejected due to local policy. Please visit "
                   "https://support.apple.com/en-us/HT204137", (Reason.POLICYVIOLATION, False)),  # iCloud
    ("5.7.1", 554, "554 5.7.1 Message rejected as spam by Content Filtering", (Reason.SPAMDETECTED, False)),
    ("", None, "You have exceeded the the allowable number of posts without solving a captcha.",
     (Reason.POLICYVIOLATION, False)),  # Gmail / Google Groups
    ("5.3.0", None, "<a@b.example> has restricted SMS e-mail", (Reason.FILTERED, False)),  # AT&T / Cricket
    # wording of the mailclients round
    # Yahoo's "dd" words, as its "dd This user doesn't have a yahoo.com account": said after DATA too
    ("5.0.0", 554, "554: delivery error: dd Not a valid recipient - atlas117.free.mail.ne1.yahoo.com",
     (Reason.FILTERED, False)),
    # Postfix's own words for a domain that does not exist (an AAAA lookup), beside the 5.4.4 of a
    # name server that answered badly above (networkerror)
    ("5.4.4", None, "Host or domain name not found. Name service error for name=b.example type=AAAA: Host not found",
     (Reason.HOSTUNKNOWN, True)),
    # Postfix's "Recipient address rejected" is said at RCPT, but a full mailbox is not a dead one
    ("5.2.2", 552, "552 5.2.2 <a@b.example>: Recipient address rejected: Mailbox quota exceeded",
     (Reason.MAILBOXFULL, False)),
    ("5.0.0", None, "exit status 1", (Reason.MAILERERROR, False)),  # chasquid: a local pipe's exit code
])
def test_classify(status, code, text, expected):
    assert classify(status, code, "", text) == expected


def test_the_phase_and_the_action_count():
    assert classify("", 550, "mail", "550 go away") == (Reason.REJECTED, False)  # at MAIL FROM: the sender
    assert classify("", 550, "mail", "550 Unroutable sender address") == (Reason.REJECTED, False)
    assert classify("5.7.1", 554, "rcpt", "554 5.7.1 <a@b.example>: Recipient address rejected: Access denied") \
        == (Reason.USERUNKNOWN, True)
    assert [phase_in(t) for t in ("SMTP error from remote mail server after initial connection:",
                                  "host mx[192.0.2.1] refused to talk to me: 554", ">>> MAIL From:<a@b.example>",
                                  "(in reply to end of DATA command)", "after RCPT TO:<a@b.example>")] \
        == ["connect", "connect", "mail", "data", "rcpt"]
    assert classify("5.0.0", 550, "data", "550 Unknown user a@b.example") == (Reason.FILTERED, False)
    assert classify("", 554, "connect", "554 no") == (Reason.BLOCKED, False)
    assert classify("4.4.1", None, "", "Connection timed out", action="failed") == (Reason.EXPIRED, False)
    assert classify("2.0.0", 250, "", "250 ok", action="delivered") == (Reason.DELIVERED, False)
    assert classify("", None, "", "Host or domain name not found", permanent=True) == (Reason.HOSTUNKNOWN, True)


def test_generic_unknown_user_wording_needs_proof_that_the_address_was_refused():
    """At RCPT, or with the MTA's X.1.x status, or in an MTA's own precise words: dead. Otherwise the
    message may have been refused rather than the address (after DATA): filtered, soft."""
    assert classify("", 550, "", "550 unknown user") == (Reason.FILTERED, False)
    assert classify("", 550, "rcpt", "550 unknown user") == (Reason.USERUNKNOWN, True)
    assert classify("5.1.1", 550, "", "550 5.1.1 unknown user") == (Reason.USERUNKNOWN, True)
    assert classify("5.0.0", 554, "", "554 delivery error: dd This user doesn't have a yahoo.com account") \
        == (Reason.FILTERED, False)
    assert classify("", None, "", "Invalid final delivery userid: a@b.example", permanent=True) \
        == (Reason.USERUNKNOWN, True)  # IMail's own words
    assert classify("", None, "", "MSEXCH:IMS:Org:Site:HOST 0 (000C05A6) Unknown Recipient", permanent=True) \
        == (Reason.USERUNKNOWN, True)  # Exchange 5.5's code for a name not in the directory
    for reply in ('550 "a@b.example" is not a known user', "550 ** No mail box available for this user **",
                  "553 sorry, badrcptto(user mail-box not found) (#5.7.1)",
                  "550 Recipient Rejected: No account by that name here",
                  "550 a@b.example is not an active address at this host"):
        assert classify("", 550, "", reply)[1] is False and classify("", 550, "rcpt", reply) == (Reason.USERUNKNOWN, True)
    assert [phase_in(t) for t in ("192.0.2.1 does not like recipient.", "192.0.2.1 failed after I sent the message.",
                                  "SMTP:RCPT host 192.0.2.8: 553 5.3.0 <a@b.example>... No such user here",
                                  "RCPT TO generated following response:")] == ["rcpt", "data", "rcpt", "rcpt"]


def test_a_delay_is_expired_unless_the_text_says_why():
    assert classify("4.4.1", None, "", "", action="delayed") == (Reason.EXPIRED, False)
    # X.4.4 "unable to route" (RFC 3463): the status says why, no usable DNS record
    assert classify("4.4.4", 454, "", "454 4.4.4 [internal] no MX or A for domain", action="delayed") \
        == (Reason.NETWORKERROR, False)
    assert classify("", None, "", "Name service error for domain example.net: Host not found, try again",
                    action="delayed") == (Reason.NETWORKERROR, False)
    assert classify("", 554, "", "554 Too many hops 26 (25 max)") == (Reason.NETWORKERROR, False)


def test_a_loop_is_no_expiry_and_qmail_opensmtpd_say_why_in_their_own_words():
    assert classify("4.4.6", None, "", "", action="failed") == (Reason.NETWORKERROR, False)
    assert classify("", None, "", "forwarded more than the maximum allowed times. This could indicate a mail loop.",
                    action="failed", permanent=True) == (Reason.NETWORKERROR, False)
    assert classify("", None, "", "a@b.example: Envelope expired", permanent=True) == (Reason.EXPIRED, False)
    assert classify("", None, "", "a@b.example: Network error on destination MXs", action="delayed") \
        == (Reason.NETWORKERROR, False)
    assert classify("5.1.3", 553, "rcpt", "553 sorry, your envelope recipient is in my badrcptto list (#5.7.1)") \
        == (Reason.FILTERED, False)  # the host's own list of refused addresses, not an unknown one


def test_each_recipient_of_a_dsn_written_without_blank_lines_is_read():
    """AOL writes the per-message fields and every recipient's fields as one block."""
    raw = (b"From: Postmaster <Postmaster@AOL.com>\nTo: a@gp.example.com\nSubject: Undeliverable: x\n"
           b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nWe were unable to deliver your message.\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; omr.example.com\n"
           b"Final-Recipient: rfc822; full@b.example\nAction: failed\nStatus: 5.2.2\n"
           b"Diagnostic-Code: smtp; 550 5.2.2 <full@b.example>... Mailbox Full\n"
           b"Final-Recipient: rfc822; gone@b.example\nAction: failed\nStatus: 5.1.1\n"
           b"Diagnostic-Code: smtp; 550 5.1.1 <gone@b.example>... User Unknown\n--b--\n")
    assert [(f.recipient, f.reason, f.hard) for f in parse(raw).failures] \
        == [("full@b.example", "mailboxfull", False), ("gone@b.example", "userunknown", True)]


def test_a_recipient_heading_its_own_lines_may_be_the_notices_addressee():
    """qmail lists each failure as "<a@b>:" and its lines: a sender that wrote to itself gets the
    notice at the failed address, which is still the failure (other heuristics never take the
    notice's own addressee)."""
    raw = (b"From: MAILER-DAEMON@b.example\nTo: self@b.example\nSubject: failure notice\n\n"
           b"Hi. This is the qmail-send program at b.example.\n"
           b"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
           b"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
           b"<self@b.example>:\n192.0.2.1 does not like recipient.\nRemote host said: 552 Error: disk quota exceeded\n"
           b"Giving up on 192.0.2.1.\n\n--- Below this line is a copy of the message.\n")
    assert [(f.recipient, f.reason, f.hard) for f in parse(raw).failures] == [("self@b.example", "mailboxfull", False)]


def test_a_notice_that_says_the_account_is_disabled_outweighs_a_generic_unknown_user():
    """EZweb writes "The user(s) account is disabled." above the remote's "550 user unknown": the
    notice contradicts the generic reply, and a disabled account is no dead address."""
    raw = (b"From: Postmaster@ezweb.ne.jp\nTo: a@gp.example.com\nSubject: Mail System Error - Returned Mail\n"
           b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nThe user(s) account is disabled.\n\n"
           b"<x@ezweb.ne.jp>: 550 user unknown (in reply to RCPT TO command)\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; lsean.ezweb.ne.jp\n\n"
           b"Final-Recipient: rfc822; x@ezweb.ne.jp\nAction: failed\nStatus: 5.0.0\n--b--\n")
    assert [(f.reason, f.hard) for f in parse(raw).failures] == [("suspend", False)]
    assert [(f.reason, f.hard) for f in parse(raw.replace(b"The user(s) account is disabled.", b"Sorry.")).failures] \
        == [("userunknown", True)]


def test_only_dead_addresses_are_hard():
    assert ADDRESS_DEAD == {Reason.USERUNKNOWN, Reason.HOSTUNKNOWN, Reason.HASMOVED, Reason.NOTACCEPT}


def test_pipes_source_routes_and_message_ids_are_never_recipients():
    raw = (b"From: MAILER-DAEMON@mail.example.net\nTo: bounces+1-abc@gp.example.com\n"
           b"Subject: Mail delivery failed: returning message to sender\n"
           b"X-Failed-Recipients: |/usr/bin/procmail, @relay.example:x@example.org, real@example.org\n"
           b"Message-ID: <123.456@mail.example.net>\n\n"
           b"This message was created automatically by mail delivery software.\n\n"
           b"A message that you sent could not be delivered to one or more of its\n"
           b"recipients. This is a permanent error. The following address(es) failed:\n\n"
           b"  real@example.org\n    550 5.1.1 User unknown\n\n"
           b"------ This is a copy of the message, including all the headers. ------\n\n"
           b"Message-ID: <abc.def@example.com>\nTo: real@example.org\n\nhello\n")
    report = parse(raw)
    assert [(f.recipient, f.reason, f.hard) for f in report.failures] == [("real@example.org", "userunknown", True)]


def test_crlf_and_lf_read_the_same():
    for path in sorted(CORPUS.glob("*.eml"))[:20]:
        raw = path.read_bytes()
        assert parse(raw.replace(b"\n", b"\r\n")) == parse(raw), path.name


# -- fuzzing: whatever comes in, no exception (parse() would log one: the safety net must not fire) --

@pytest.fixture(autouse=True)
def nothing_swallowed(caplog):
    yield
    logged = [r.getMessage() for r in caplog.get_records("call") if r.name == bounces.__name__ and r.levelname == "ERROR"]
    assert not logged, logged


@given(st.text(max_size=400), st.text(max_size=12), st.one_of(st.none(), st.integers(-1000, 1000)),
       st.sampled_from(["", "rcpt", "data", "mail", "connect"]), st.sampled_from(["", "failed", "delayed", "x"]))
@settings(max_examples=300, deadline=None)
def test_classify_never_crashes(text, status, code, phase, action):
    reason, hard = classify(status, code, phase, text, action=action)
    assert isinstance(reason, Reason) and (not hard or reason in ADDRESS_DEAD)


@pytest.mark.parametrize("corpus", sorted({p.parent for p in CORPUS.rglob("*.eml")}), ids=lambda p: p.name)
def test_every_message_of_every_corpus_parses(corpus):
    """Labelled or not, held out or not: each message gives a report, without an exception (the
    autouse fixture fails the test if parse() had to swallow one)."""
    for path in sorted(corpus.glob("*.eml")):
        raw = path.read_bytes()
        for variant in (raw, raw.replace(b"\n", b"\r\n")):
            assert parse(variant).kind in ("bounce", "complaint", "auto-reply", "delivered", "unknown"), path.name


SAMPLES = [p.read_bytes() for p in sorted(CORPUS.rglob("*.eml"))]


@given(st.sampled_from(SAMPLES), st.integers(0, 4000), st.integers(0, 200), st.binary(max_size=60))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parse_never_crashes_on_mangled_reports(sample, at, cut, junk):
    """Real reports cut, spliced and salted with arbitrary bytes: the parser classifies or says
    unknown, and never picks an address that is not valid as a recipient."""
    at = at % (len(sample) + 1)
    report = parse(sample[:at] + junk + sample[at + cut:])
    assert report.kind in ("bounce", "complaint", "auto-reply", "delivered", "unknown")
    assert all("@" in f.recipient and f.recipient[0] not in "|/@" for f in report.failures)


@given(st.binary(max_size=2000))
@settings(max_examples=200, deadline=None)
def test_parse_never_crashes_on_bytes(raw):
    assert parse(raw).kind in ("bounce", "complaint", "auto-reply", "delivered", "unknown")


def test_an_unfolded_multi_line_reply_stays_one_diagnostic():
    """MessageLabs writes the lines of a multi-line reply unfolded in Diagnostic-Code: the email
    package ends the header block there, and the recipient's fields must still get the whole reply."""
    raw = (b"From: MAILER-DAEMON@messagelabs.com\nTo: a@gp.example.com\nSubject: Mail Delivery Failure\n"
           b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nI was unable to deliver your message.\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n"
           b"Diagnostic-Code: smtp; 550-Please turn on SMTP Authentication in your mail client.\n"
           b"550-mx.example.net [192.0.2.1]:25 is not permitted to\n"
           b"550 relay through this server without authentication.\n"
           b"Status: 5.0.0\nAction: failed\nFinal-Recipient: rfc822; x@b.example\n--b--\n")
    [failure] = parse(raw).failures
    assert (failure.recipient, failure.reason, failure.hard) == ("x@b.example", "securityerror", False)
    assert failure.diagnostic.endswith("relay through this server without authentication.")


def test_a_reply_cut_at_a_fixed_width_stays_one_diagnostic():
    """Gmail's message/global-delivery-status cuts a long Diagnostic-Code at a fixed width with no
    fold ("... judged to b" / "e spam by ..."): the cut lines are no fields, so they go on the reply."""
    raw = (b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nTo: a@gp.example.com\n"
           b"Subject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nThere was a problem delivering your message.\n\n"
           b"--b\nContent-Type: message/global-delivery-status\n\nReporting-MTA: dns; example.com\n\n"
           b"Final-Recipient: rfc822; bob@b.example\nAction: failed\nStatus: 5.2.0\n"
           b"Diagnostic-Code: smtp; 552 5.2.0 This message has been rejected due to content judged to b\n"
           b"e spam by the internet community IB212 - If you feel this is in error, see <https://che\n"
           b"ckspam.example/>\nLast-Attempt-Date: Sun, 03 Dec 2017 03:29:10 -0800 (PST)\n\n--b--\n")
    [failure] = parse(raw).failures
    assert (failure.recipient, failure.reason, failure.hard) == ("bob@b.example", "spamdetected", False)
    assert "judged to be spam" in failure.diagnostic and failure.diagnostic.endswith("<https://checkspam.example/>")


def test_the_delivery_status_part_is_the_one_naming_a_recipient():
    """InterMail (Cricket) labels its human-readable first part message/delivery-status too; the
    recipient's fields are in the second such part (the notice's copy of the original, DKIM-Signature
    and all, is no explanation of the failure: it once gave authfailure)."""
    raw = (b"From: Mail Administrator <Postmaster@ci.example>\nTo: n@gp.example.com\n"
           b"Subject: Mail System Error - Returned Mail\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: message/delivery-status;\n\n"
           b"This Message was undeliverable due to the following reason:\n\n<u@ci.example> has restricted SMS e-mail\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.ci.example\n\n"
           b"Original-Recipient: rfc822;u@ci.example\nFinal-Recipient: RFC822; <u@ci.example>\nAction: failed\n"
           b"Status: 5.3.0\n\n--b\nContent-Type: message/rfc822\n\n"
           b"DKIM-Signature: v=1; a=rsa-sha256; d=gp.example.com; s=2010; b=abc\nTo: u@ci.example\n"
           b"Subject: hi\n\nhello\n--b--\n")
    [failure] = parse(raw).failures
    assert (failure.recipient, failure.status, failure.hard) == ("u@ci.example", "5.3.0", False)
    assert failure.reason != "authfailure"


def test_an_alias_and_its_expansion_are_one_failure():
    """Sendmail names the alias a failed target came from ("(expanded from: <alias>)"): one failure,
    the target's, with the alias (the address we sent to) as its original recipient. A pipe is no
    target: then the alias is the failure."""
    raw = (b"From: Mail Delivery Subsystem <MAILER-DAEMON@b.example>\nTo: a@gp.example.com\n"
           b"Subject: Returned mail: see transcript for details\n\n"
           b"   ----- The following addresses had permanent fatal errors -----\nfinal@c.example\n"
           b"    (reason: 550 5.1.1 <final@c.example>... User unknown)\n    (expanded from: <Alias@b.example>)\n\n"
           b"   ----- Transcript of session follows -----\n550 5.1.1 <final@c.example>... User unknown\n")
    assert [(f.recipient, f.original_recipient) for f in parse(raw).failures] == [("final@c.example", "alias@b.example")]
    piped = raw.replace(b"\nfinal@c.example\n", b'\n"|/usr/bin/procmail"\n')
    assert [f.recipient for f in parse(piped).failures] == ["alias@b.example"]


def test_a_notice_from_the_null_address_is_no_auto_reply():
    """"From: <>" with Auto-Submitted: auto-replied is a system's notice (a person's auto-reply
    comes from the person): the address it names is read as the failure. Without the mark it may
    be a list's mirror of a notice (flufl's bounce_01): its addresses are not guessed at."""
    raw = (b"From: <>\nTo: a@gp.example.com\nAuto-Submitted: auto-replied\nDate: Tue, 29 Dec 2009 12:12:54 +0000\n\n"
           b"You sent mail to x@b.example. That's not a valid user here.\n")
    assert [(f.recipient, f.reason, f.hard) for f in parse(raw).failures] == [("x@b.example", "filtered", False)]
    assert parse(raw.replace(b"From: <>", b"From: Jo <jo@b.example>")).kind == "auto-reply"
    assert parse(raw.replace(b"Auto-Submitted: auto-replied\n", b"")).kind == "unknown"


def test_a_dsn_recipient_under_a_reserved_domain_is_still_the_recipient():
    """Anonymised notices use .invalid or .test: a DSN's Final-Recipient names it outright."""
    raw = (b"From: MAILER-DAEMON@b.example\nTo: a@gp.example.com\nSubject: Undelivered Mail Returned to Sender\n"
           b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; b.example\n\n"
           b"Final-Recipient: rfc822; luser@otherhost.invalid\nAction: failed\nStatus: 5.0.0\n"
           b"Diagnostic-Code: X-Postfix; host 192.0.2.1[192.0.2.1] said: 550 5.1.1 <luser@otherhost.invalid> is not a "
           b"valid mailbox (in reply to RCPT TO command)\n--b--\n")
    assert [(f.recipient, f.reason, f.hard) for f in parse(raw).failures] == [("luser@otherhost.invalid", "userunknown",
                                                                                True)]


def test_a_content_type_parameter_that_lost_its_fold_is_still_read():
    """RFC 5965's sample reports as often copied: 'boundary="..."' on an unindented line of its own
    under the Content-Type. That line cannot be a header, so it continues the one before; an opt-out
    report names the recipient to remove."""
    raw = (b"From: <abusedesk@example.com>\nSubject: FW: Earn money\nTo: <abuse@example.net>\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=feedback-report;\nboundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nThis is an opt-out report.\n\n"
           b"--b\nContent-Type: message/feedback-report\n\nFeedback-Type: opt-out\nUser-Agent: SomeGenerator/1.0\n"
           b"Version: 0.1\nRemoval-Recipient: user@example.com\n\n"
           b"--b\nContent-Type: text/rfc822-headers\n\nFrom: <somespammer@example.net>\nTo: <Undisclosed Recipients>\n"
           b"Subject: Earn money\n--b--\n")
    report = parse(raw)
    assert (report.kind, report.complained, report.feedback_type) == ("complaint", ("user@example.com",), "opt-out")
    assert parse(raw.replace(b";\nboundary", b";\n boundary")) == report  # as if it had been folded


def test_a_header_block_whose_folds_lost_their_indent_is_still_read():
    """A copy (or a broken MTA) that dropped the leading whitespace of folded header lines: the
    email package ends the header block at the first such line, so From and Subject are never
    read. A line that is no field, with fields after it before the blank line, is a fold."""
    raw = (b"Return-Path: <>\nReceived: from mx.b.example (mx.b.example\n[192.0.2.1])\nby c.example with ESMTP;\n"
           b"Thu, 07 May 2009 11:02:07 -0400\nFrom: Mail Delivery System <mailer-daemon@b.example>\n"
           b"To: a@gp.example.com\nSubject: Mail delivery failed: returning message to sender\n\n"
           b"This message was created automatically by mail delivery software.\n\n"
           b"A message that you sent could not be delivered to one or more of\nits recipients. The following "
           b"addresses failed:\n\n<gone@d.example>\n\nSMTP error from remote server after RCPT command:\n"
           b"host mx.d.example[192.0.2.2]:\n550 5.1.1 <gone@d.example>: Recipient address rejected: User unknown\n")
    assert [(f.recipient, f.hard) for f in parse(raw).failures] == [("gone@d.example", True)]
    assert parse(raw.replace(b"\n[192.0.2.1]", b"\n [192.0.2.1]").replace(b"\nby c", b"\n by c")
                 .replace(b"\nThu", b"\n Thu")) == parse(raw)  # as if it had been folded


def test_the_returned_messages_headers_are_never_the_reason():
    """A notice without a text part is read raw, up to the part that returns the original: the
    original's DKIM-Signature is not an authentication failure; a first part mis-typed
    message/delivery-status holds the notice's words, the second the fields."""
    raw = (b"From: Mail Administrator <Postmaster@b.example>\nTo: a@gp.example.com\n"
           b"Subject: Mail System Error - Returned Mail\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: message/delivery-status;\n\nThis Message was undeliverable due to the following "
           b"reason:\n\n<r@b.example> has refused it\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.b.example\n\n"
           b"Final-Recipient: RFC822; <r@b.example>\nAction: failed\nStatus: 5.3.0\n\n"
           b"--b\nContent-Type: message/rfc822\n\nDKIM-Signature: v=1; a=rsa-sha256; d=gp.example.com; s=s;\n"
           b"    h=From:To; b=abc\nFrom: a@gp.example.com\nTo: r@b.example\nSubject: SPF, DMARC and you\n\nHi\n--b--\n")
    [failure] = parse(raw).failures
    assert (failure.recipient, failure.remote_mta, failure.reason) == ("r@b.example", "mta.b.example", "systemerror")


def _dsn(fields: bytes, notice: bytes = b"Your message could not be delivered.") -> bytes:
    return (b"From: MAILER-DAEMON@b.example\nTo: a@gp.example.com\nSubject: Delivery status notification: failed\n"
            b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
            b"--b\nContent-Type: text/plain\n\n" + notice + b"\n\n--b\nContent-Type: message/delivery-status\n\n"
            b"Reporting-MTA: dns; b.example\n\n" + fields + b"\n--b--\n")


def test_only_sendmails_bracketed_echo_of_rcpt_to_tells_the_phase():
    """Sendmail answers RCPT TO with the address as given, in brackets: "550 5.1.1 <a@b>... User
    unknown". A gateway relaying "550 a@b... No such user" (SurfControl, MessageLabs) says nothing
    of the phase: generic wording, soft."""
    fields = b"Final-Recipient: rfc822; x@c.example\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; %s\n"
    relayed = parse(_dsn(fields % b"550 x@c.example... No such user")).failures
    echoed = parse(_dsn(fields % b"550 <x@c.example>... No such user")).failures
    assert [(f.reason, f.hard) for f in relayed + echoed] == [("filtered", False), ("userunknown", True)]


def test_each_dsn_recipient_is_explained_by_its_own_line_of_the_notice():
    """OpenSMTPD gives no Diagnostic-Code and lists its failed recipients one a line with no blank
    line between them: each line explains its own recipient only."""
    notice = (b"    An error has occurred while attempting to deliver a message for\n"
              b"    the following list of recipients:\n\n"
              b"gone@c.example: 550 5.1.1 <gone@c.example>: Recipient address rejected: User unknown\n"
              b"full@c.example: 552 5.2.2 <full@c.example>: Recipient address rejected: Mailbox full")
    fields = (b"Final-Recipient: rfc822; gone@c.example\nAction: failed\nStatus: 5.0.0\n\n"
              b"Final-Recipient: rfc822; full@c.example\nAction: failed\nStatus: 5.0.0\n")
    assert [(f.recipient, f.reason, f.hard) for f in parse(_dsn(fields, notice)).failures] \
        == [("gone@c.example", "userunknown", True), ("full@c.example", "mailboxfull", False)]


def test_a_dsn_recipient_on_a_host_without_a_dot_is_still_the_recipient():
    """A local alias's target ("user@mailhub0") named as the Final-Recipient is the one that failed;
    the address we sent to is its Original-Recipient, which the listener matches too."""
    fields = (b"Final-Recipient: rfc822; user@mailhub0\nOriginal-Recipient: rfc822;a@c.example\nAction: failed\n"
              b"Status: 5.2.0\nDiagnostic-Code: x-unix; procmail: Lock failure on \"/var/mail/user.lock\"\n")
    assert [(f.recipient, f.original_recipient, f.reason) for f in parse(_dsn(fields)).failures] \
        == [("user@mailhub0", "a@c.example", "mailererror")]


def test_each_address_a_t_online_notice_lists_is_a_failure():
    """T-Online lists each failed address on a line of its own, " <a@b>", its reply under it."""
    raw = (b"From: Mail Delivery System <Mailer-Daemon@t-online.de>\nTo: a@gp.example.com\n"
           b"Subject: Mail delivery failed: returning message to sender\n\n"
           b"|------------------------- Failed addresses follow: ---------------------|\n"
           b" <full@t-online.de>\n   552 5.2.2 <full@t-online.de> Quota exceeded (mailbox for user is full)\n"
           b" <gone@t-online.de>\n   550 5.1.1 <gone@t-online.de> unknown user\n\n"
           b"|------------------------- Message header follows: ----------------------|\n"
           b"To: <full@t-online.de>, <gone@t-online.de>\n")
    assert [(f.recipient, f.reason, f.hard) for f in parse(raw).failures] \
        == [("full@t-online.de", "mailboxfull", False), ("gone@t-online.de", "userunknown", True)]


def test_a_dsn_recipient_with_a_quoted_local_part_is_the_recipient():
    """RFC 5321 allows a quoted-string local part ('"a..b"@host'): the Final-Recipient as spelled,
    its unquoted Original-Recipient beside it; a quoted pipe is still no recipient."""
    def dsn(final: bytes) -> bytes:
        return (b"From: MAILER-DAEMON@b.example\nTo: a@gp.example.com\nSubject: Undelivered Mail Returned to Sender\n"
                b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
                b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; b.example\n\n"
                b"Final-Recipient: rfc822; " + final + b"\nOriginal-Recipient: rfc822;neko..nyaan.@b.example\n"
                b"Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User Unknown\n--b--\n")
    [failure] = parse(dsn(b'"neko..nyaan."@b.example')).failures
    assert (failure.recipient, failure.original_recipient, failure.hard) == ('"neko..nyaan."@b.example',
                                                                           "neko..nyaan.@b.example", True)
    assert [f.recipient for f in parse(dsn(b'"|/usr/bin/x"@b.example')).failures] == ["neko..nyaan.@b.example"]


def test_sendmails_transcript_completes_a_multi_line_reply_its_diagnostic_code_cut():
    """Sendmail's Diagnostic-Code keeps the first line of a multi-line reply ("550-5.7.1 ..."):
    the transcript holds the rest, which says why."""
    raw = (b"From: Mail Delivery Subsystem <MAILER-DAEMON@m.example>\nTo: <s@gp.example.com>\n"
           b"Subject: Returned mail: see transcript for details\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\n\n"
           b"   ----- Transcript of session follows -----\n... while talking to aspmx.l.google.com.:\n>>> DATA\n"
           b"<<< 550-5.7.1 [192.0.2.1       7] Our system has detected that this message is\n"
           b"<<< 550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n"
           b"<<< 550 5.7.1 this message has been blocked. - gsmtp\n554 5.0.0 Service unavailable\n\n"
           b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; m.example\n\n"
           b"Final-Recipient: RFC822; r@b.example\nAction: failed\nStatus: 5.7.1\n"
           b"Diagnostic-Code: SMTP; 550-5.7.1 [192.0.2.1       7] Our system has detected that this message is\n"
           b"--b--\n")
    assert [(f.recipient, f.reason, f.hard) for f in parse(raw).failures] == [("r@b.example", "spamdetected", False)]


MAILCLIENTS = CORPUS / "mailclients"


def test_a_pipe_named_as_final_recipient_fails_as_the_address_it_was_sent_to():
    """chasquid's report of a failed pipe alias (SMTPUTF8: message/global-delivery-status, "utf-8"
    address types) names the pipe command in Final-Recipient ("utf-8; false") and the address in
    Original-Recipient: the failure is the address's, and a pipe's exit status is the mailer's
    failure, soft."""
    raw = (b"From: Mail Delivery System <postmaster-dsn@b.example>\nTo: <a@gp.example.com>\n"
           b"Subject: Mail delivery failed: returning message to sender\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\n- \"false\" (PIPE) failed permanently with error:\n    exit status 1\n\n"
           b"--b\nContent-Type: message/global-delivery-status\n\nReporting-MTA: dns; b.example\n\n"
           b"Original-Recipient: utf-8; fail@b.example\nFinal-Recipient: utf-8; false\nAction: failed\n"
           b"Status: 5.0.0\nDiagnostic-Code: smtp; exit status 1\n\n--b--\n")
    assert [(f.recipient, f.reason, f.hard) for f in parse(raw).failures] == [("fail@b.example", "mailererror", False)]
    [chasquid] = parse((MAILCLIENTS / "chasquid-expected_dsr.eml").read_bytes()).failures
    assert (chasquid.recipient, chasquid.reason, chasquid.hard) == ("fail@testserver", "mailererror", False)


def test_a_relayed_success_report_and_a_read_receipt_are_no_failures():
    """Postfix's "Successful Mail Delivery Report" (Action: relayed, 2.0.0) is a delivery notice, and
    Exchange's read receipt (an MDN, "displayed") is no failure either: neither suppresses anybody."""
    relayed = parse((MAILCLIENTS / "deltachat-dsn_relayed.eml").read_bytes())
    receipt = parse((MAILCLIENTS / "commonsemail-multipart-report.eml").read_bytes())
    assert (relayed.kind, relayed.failures, receipt.kind, receipt.failures) == ("delivered", (), "auto-reply", ())


def test_sendmails_pipelined_rcpt_refusal_reported_under_data_is_the_address():
    """With PIPELINING, Sendmail's transcript prints the RCPT TO refusal after ">>> DATA" (">>> DATA",
    "<<< 550 5.1.1 User unknown", then "<<< 503 5.5.2 Need Rcpt command." for DATA itself): its
    own line "550 5.1.1 <a>... User unknown" echoes the address as RCPT TO gave it, and the X.1.1
    status is the MTA's. A dead address, as Sisimai says too."""
    [failure] = parse((MAILCLIENTS / "flufl6-sendmail_02.eml").read_bytes()).failures
    assert (failure.recipient, failure.reason, failure.hard) == ("foo@rbd.spb.ru", "userunknown", True)


FEEDBACK = CORPUS / "feedback"


def test_the_feedback_corpus_unwrapped_jmrp_is_a_complaint_and_the_plain_message_nothing():
    """Hotmail's JMRP complaint as MantaMTA received it (2013): the newsletter itself with
    X-HmXmrOriginalRecipient among its headers, no report part (Sisimai 4.25.15 reads nothing, so
    it has no label). The Email-ARF-Report-AOL negative case, an ordinary message, stays nothing."""
    jmrp = parse((FEEDBACK / "manta-HotmailAbuse.eml").read_bytes())
    assert (jmrp.kind, jmrp.complained) == ("complaint", ("some.user@colony101.co.uk",))
    assert jmrp.original_message_id == "<SNT3QWTRxoPsIc839xj000fb1dd@snt3.net>"
    plain = parse((FEEDBACK / "aolarf-SampleNonARFReport1.eml").read_bytes())
    assert (plain.kind, plain.complained, plain.failures) == ("unknown", (), ())


def test_a_returned_header_block_cut_short_still_gives_the_originals_message_id():
    """Microsoft SMTPSVC returned the message with an empty line after its first Received field
    ("... with Microsoft SMTPSVC;", "", the date, then DKIM-Signature ... Message-ID): the fields
    after the gap are still the original's, and its Message-ID matches the notice to the delivery.
    A body that merely starts with fields but names no Message-ID is left alone."""
    ndr = parse((FEEDBACK / "manta-NonDeliveryReport_Test_Email.eml").read_bytes())
    assert ndr.original_message_id == "<SNT38DzHx63RNpggkzp001b4187@snt3.net>"
    assert [(f.recipient, f.reason, f.hard) for f in ndr.failures] == [("some.user@colony101.co.uk", "userunknown", True)]
    dsn = (b"From: postmaster@b.example\nTo: <a@gp.example.com>\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nDelivery failed.\n\n--b\nContent-Type: message/delivery-status\n\n"
           b"Reporting-MTA: dns; b.example\n\nFinal-Recipient: rfc822; r@b.example\nAction: failed\nStatus: 5.1.1\n\n"
           b"--b\nContent-Type: message/rfc822\n\nReceived: by a.example;\n\n%s\n--b--\n")
    cut = parse(dsn % b"Wed, 24 Jul 2013 16:25:16 +0100\nFrom: a@gp.example.com\nMessage-ID: <m1@gp.example.com>\n\nHi\n")
    assert cut.original_message_id == "<m1@gp.example.com>"
    form = parse(dsn % b"Name: Bob\nTopic: Message-ID formats\n\nHi\n")
    assert form.original_message_id == ""


def test_a_reports_stated_mail_from_is_kept_beside_the_copys_return_path():
    """Yahoo's report (MantaMTA's, 2013) states the envelope sender in Original-Mail-From (the
    sender's VERP address, return-some.user=yahoo.co.uk-1@...), while its copy of the message shows
    "Return-Path: <info@colony101.co.uk>", the From address: both are kept, for the inbound
    listener to find the token in either."""
    yahoo = parse((FEEDBACK / "manta-YahooAbuse.eml").read_bytes())
    assert (yahoo.kind, yahoo.complained) == ("complaint", ("some.user@yahoo.co.uk",))
    assert yahoo.original_return_path == "info@colony101.co.uk"
    assert yahoo.stated_mail_from == "return-some.user=yahoo.co.uk-1@colony101.co.uk"

