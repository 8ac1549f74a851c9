"""Why mail failed, and whether that makes the address dead.

`Action: failed` and a 5xx reply say that the remote server stopped trying, not that the
address does not exist: a full mailbox, a blocklisted IP or a spam filter are 5xx too. So a
failure gets a *reason* first (the taxonomy the reference classifiers use), and only the
address-dead reasons with a permanent code make it hard (suppressed).

The reason comes from, in order: the diagnostic text matched against what common MTAs write
(their own wording first, then wording per reason), the RFC 3463 status, the SMTP phase, the
basic reply code. Text wins over the status because statuses are often generic (5.0.0, 5.7.1)
and sometimes wrong ("550 5.2.1 ... User Unknown"). Pure: strings in, a reason out.

An unknown user is a dead address only with proof that the address, not the message, was
refused: a reply to RCPT TO, an X.1.x status from the MTA, or an MTA's own precise wording
(BY_MTA). Generic wording alone ("550 unknown user", "no such user") is `filtered`, soft: some
MTAs say it after DATA (Yahoo's "dd This user doesn't have a yahoo.com account", gateways that
refuse the message), and a wrong suppression is forever while a dead address that keeps failing
softly is suppressed later by the repeated-soft-bounce policy. Sisimai decides the same way.
"""
from __future__ import annotations

import re
from enum import StrEnum


class Reason(StrEnum):
    USERUNKNOWN = "userunknown"
    HOSTUNKNOWN = "hostunknown"
    HASMOVED = "hasmoved"
    NOTACCEPT = "notaccept"            # the domain publishes a null MX
    MAILBOXFULL = "mailboxfull"
    EXCEEDLIMIT = "exceedlimit"        # the message would exceed the mailbox's own size limit
    SYSTEMFULL = "systemfull"
    SUSPEND = "suspend"                # mailbox disabled or inactive
    EXPIRED = "expired"                # retried until the sender's MTA gave up
    NETWORKERROR = "networkerror"
    TOOMANYCONN = "toomanyconn"
    RATELIMITED = "ratelimited"
    MESGTOOBIG = "mesgtoobig"
    CONTENTERROR = "contenterror"
    SPAMDETECTED = "spamdetected"
    VIRUSDETECTED = "virusdetected"
    POLICYVIOLATION = "policyviolation"
    BLOCKED = "blocked"                # the sending IP (blocklists)
    REJECTED = "rejected"              # the envelope sender refused
    FILTERED = "filtered"              # the recipient's own filter or rules
    AUTHFAILURE = "authfailure"        # SPF / DKIM / DMARC
    REQUIREPTR = "requireptr"
    BADREPUTATION = "badreputation"
    SECURITYERROR = "securityerror"    # TLS or SMTP AUTH required
    NORELAYING = "norelaying"
    SYNTAXERROR = "syntaxerror"
    SYSTEMERROR = "systemerror"
    MAILERERROR = "mailererror"        # a local delivery program failed
    ONHOLD = "onhold"                  # the notice names a failure it does not explain
    UNDEFINED = "undefined"
    DELIVERED = "delivered"            # never a failure
    VACATION = "vacation"              # an auto-reply: never a bounce
    FEEDBACK = "feedback"              # a complaint (ARF)


ADDRESS_DEAD = frozenset({Reason.USERUNKNOWN, Reason.HOSTUNKNOWN, Reason.HASMOVED, Reason.NOTACCEPT})
SUCCESS_ACTIONS = {"delivered", "relayed", "expanded", "deliverable"}


def _table(*rows: tuple[Reason, str]) -> list[tuple[Reason, re.Pattern]]:
    return [(reason, re.compile(pattern, re.I)) for reason, pattern in rows]


# What particular MTAs and providers write, matched first: their wording is precise.
BY_MTA = _table(
    # Gmail / Google Workspace
    (Reason.USERUNKNOWN, r"email account that you tried to reach does not exist|address couldn't be found"),
    (Reason.SUSPEND, r"email account that you tried to reach is (?:disabled|inactive)"),
    (Reason.MAILBOXFULL, r"email account that you tried to reach is over quota|out of storage space"),
    (Reason.RATELIMITED, r"receiving mail at a rate that|unusual rate of unsolicited mail|4\.7\.28"),
    (Reason.REQUIREPTR, r"does not have a PTR record|not have a (?:valid )?reverse"),
    (Reason.AUTHFAILURE, r"does not have authentication information|fails to pass authentication checks"
                         r"|not authenticated with DKIM|unauthenticated email from"),
    (Reason.BADREPUTATION, r"(?:very )?low reputation of the (?:sending|sender)|poor reputation"),
    (Reason.SPAMDETECTED, r"likely unsolicited mail|has detected that this message is likely"
                          r"|rejected due to spam classification"),
    # Microsoft 365 / Exchange / Outlook.com
    (Reason.USERUNKNOWN, r"RESOLVER\.ADR\.(?:Ex)?Recip(?:ient)?NotFound|recipient not found by SMTP address lookup"
                         r"|email address you entered couldn't be found|Recipient address rejected: Access denied"
                         r"|\d\.\d\.\d Requested action not taken: mailbox unavailable|address wasn't found at the destination"
                         # Hotmail / Outlook.com name their reason in brackets ("(S2017062302)"; before
                         # 2010 "(1171782072:1364:-2147467259)", either number signed) after RFC 5321's
                         # generic 550 text
                         r"|Requested action not taken: mailbox unavailable \((?:S\d+|-?\d+:\d+:-?\d+)\)"),
    (Reason.HOSTUNKNOWN, r"delivered to the recipient because the domain is not reachable"),  # Outlook.com: no DNS
    (Reason.MAILBOXFULL, r"QuotaExceeded|RecipientMailboxFull|mailbox is full and can't accept"),
    (Reason.MESGTOOBIG, r"RESOLVER\.RST\.RecipSizeLimit|message size exceeds"),
    (Reason.SECURITYERROR, r"RESOLVER\.RST\.(?:AuthRequired|SenderNotAuthenticated)"),
    (Reason.FILTERED, r"RESOLVER\.RST\.NotAuthorized|delivery not authorized, message refused"),
    (Reason.EXPIRED, r"QUEUE\.Expired|message (?:has )?expired"),
    (Reason.BLOCKED, r"\b(?:S3150|S3140|SC-00\d|DY-00\d|OU-00\d|CS-00\d)\b|banned sending IP"
                     r"|traffic not accepted from this IP|part of their network is on our block list"),
    (Reason.RATELIMITED, r"\bRP-00\d\b|limits for how many messages can be sent"),
    (Reason.NORELAYING, r"TenantAttribution; Relay Access Denied|5\.7\.64"),
    # Amazon SES as the remote: the sending identity (our From / return path) is not verified there
    (Reason.REJECTED, r"Email address is not verified\. The following identities failed"),
    # Yahoo / AOL ("This user doesn't have a yahoo.com account" is generic wording: Yahoo says it after DATA)
    (Reason.SUSPEND, r"This mailbox is disabled"),
    (Reason.RATELIMITED, r"\[TS(?:S)?0[1-4]\]|temporarily deferred due to unexpected volume"),
    (Reason.BLOCKED, r"\[(?:BL|TSS)\d\d\]|permanently deferred"),
    # qmail / netqmail / vpopmail
    (Reason.USERUNKNOWN, r"no mailbox here by that name|Sorry, I couldn't find any user"),
    (Reason.REJECTED, r"Connected to \S+ but sender was rejected"),
    (Reason.FILTERED, r"envelope recipient is in my badrcptto list"),  # the host's own list of refused recipients
    (Reason.NORELAYING, r"list of allowed rcpthosts"),  # the domain is not one it takes mail for
    (Reason.HOSTUNKNOWN, r"couldn't find any host (?:named|by that name)|couldn't find a mail exchanger"),
    # it gave up; when it quotes the remote's last reply ("Remote host said: 450 4.2.2 Mailbox Full")
    # that reply says why
    (Reason.EXPIRED, r"(?s)\A(?!.*remote host said).*been in the queue too long"),
    (Reason.NETWORKERROR, r"wasn't able to establish an SMTP connection"),
    # Google Groups: the poster may not post to the group (or it does not exist): the sender refused
    (Reason.REJECTED, r"you may not have permission to post messages to the group"
                      r"|グループにメッセージを投稿する権限がない"),
    # MessageLabs: relaying refused only for want of SMTP AUTH ("not permitted to relay ... without authentication")
    (Reason.SECURITYERROR, r"turn on SMTP Authentication|relay through this server without authentication"),
    # Exim: an address it cannot parse ("malformed address: <a> may not follow <b>"); its callout to
    # our return path failed ("550-Verification failed for <sender> ... 550 Sender verify failed"):
    # the sender refused, whatever status the relaying MTA then gave it (Sendmail: 5.1.1)
    (Reason.SYNTAXERROR, r"malformed address:"),
    (Reason.REJECTED, r"Verification failed for <"),
    # Japanese carriers (au/KDDI): "the destination mailbox is full"
    (Reason.MAILBOXFULL, r"メールボックスが一杯"),
    # Postfix: the resolver's TRY_AGAIN is a DNS failure, not a missing domain
    (Reason.HOSTUNKNOWN, r"host or domain name not found"),
    # Sendmail's local delivery agent: the user has no account on the final host
    (Reason.USERUNKNOWN, r"mail\.local: unknown user"),
    # (a name server that fails or answers garbage says nothing about whether the domain exists)
    (Reason.NETWORKERROR, r"host not found, try again|malformed (?:or unexpected )?name server reply"),
    # IMail Server (Ipswitch): its own line before the remote reply
    (Reason.USERUNKNOWN, r"Invalid final delivery userid|^Unknown user: \S+@"),
    # Exchange 5.5 / 2000 / 2003 (IMS, X.400 wording): its code for a name not in the directory
    (Reason.USERUNKNOWN, r"\(000C05A6\) Unknown Recipient|The recipient name is not recognized"),
    # Gmail
    # its mark of a connection that failed temporarily: retried until it gave up (or still retried)
    (Reason.EXPIRED, r"did not accept our requests to connect|TEMP_FAILURE: Could not initiate SMTP conversation"),
    (Reason.HASMOVED, r"This address no longer accepts mail"),
    # Exim and cPanel hosts
    (Reason.HOSTUNKNOWN, r"all relevant MX records point to non-existent hosts|account or domain may not exist"),
    # OpenSMTPD: it gave up on the envelope; its delay notice's "Network error on destination MXs"
    (Reason.EXPIRED, r"Envelope expired"),
    # Exim: every host failed until the retry time-out ("all hosts have been failing for a long time")
    (Reason.EXPIRED, r"have been failing for a long time"),
    (Reason.NETWORKERROR, r"Network error on destination MXs"),
    # IBM (Lotus) Domino
    (Reason.USERUNKNOWN, r"not listed in (?:the )?(?:Domino|public name (?:and|&) address book|names\.nsf)"
                         r"|ディレクトリのリストにありません"),  # Notes in Japanese: "not in the directory list"
    (Reason.SYSTEMERROR, r"not unique\. Several matches found"),  # an ambiguous name in the directory
    # Postfix: the MX points back at the reporting host, which does not take the domain (its setup)
    (Reason.SYSTEMERROR, r"loops back to myself"),
    # GMX / mail.com / web.de ("(BL)": the sending IP is on their blocklist)
    (Reason.BLOCKED, r"\bIP=\S+ - A problem occurred|\(BL\)"),
    # Mimecast
    (Reason.USERUNKNOWN, r"550 Invalid Recipient"),
    (Reason.FILTERED, r"Envelope blocked - User (?:Domain )?Entry"),
    (Reason.POLICYVIOLATION, r"rejected due to security policies|Anti-Spoofing policy"),
    # 1&1 (IONOS) echoes the refused address: "550 <a@b>: invalid address" (its RCPT reply)
    (Reason.USERUNKNOWN, r"<[^<>\s]+@[^<>\s]+>: invalid address\b"),
    # Tencent QQ: too many connections or messages from one IP ("550 Ip frequency limited")
    (Reason.TOOMANYCONN, r"(?:ip|connection) frequency limited"),
    # Cox and Spectrum (Charter) name the refusal by an AUP code after a generic "sender rejected":
    # Cox's CXBL / CDRBL (the IP on its blocklists), CXDNS (no reverse DNS), CXCNCT (connections);
    # Spectrum's 1300-1340 (connections per IP)
    (Reason.BLOCKED, r"AUP#(?:CXBL|CDRBL)\b"),
    (Reason.REQUIREPTR, r"AUP#CXDNS\b"),
    (Reason.TOOMANYCONN, r"AUP#CXCNCT\b|AUP#(?:In|Out)-13[0-4]\d\b"),
    # Proofpoint, Barracuda, Zoho, Cisco
    (Reason.BLOCKED, r"ipcheck\.proofpoint\.com|blocked using Barracuda|barracudacentral"),
    (Reason.FILTERED, r"permanent failure for one or more recipients \([^)]*:blocked\)"),
    (Reason.POLICYVIOLATION, r"Email policy violation detected|rejected due to content restrictions"),
    # Gmail / Google Groups: a cap on posts from a sender that has not solved a captcha (also
    # written "the the allowable"; Sisimai's PolicyViolation table has both)
    (Reason.POLICYVIOLATION, r"allowable number of posts without solving a captcha"),
    # AT&T / Cricket: the subscriber has turned off e-mail to their phone (Sisimai's Filtered table)
    (Reason.FILTERED, r"has restricted SMS e-?mail"),
)

# Wording per reason, in order: specific before generic. RFC 5321's own 550 text ("Requested
# action not taken: mailbox unavailable") is generic "unknown" wording: it covers policy refusals
# too, so it is hard only in reply to RCPT TO. (A sender refused for "Domain not found" is not a
# dead recipient domain; "mailbox is full: retry timeout exceeded" is a full mailbox.)
BY_REASON = _table(
    # a filter's spam verdict, whatever advice follows it ("failed several antispam checks ...
    # be sure your mailserver is configured correctly (spf, HELO, PTR)", "Blocked using spam pattern")
    (Reason.SPAMDETECTED, r"failed (?:\w+ )?(?:anti-?)?spam (?:checks|tests|filter)|spam (?:pattern|signature)"
                          r"|\b(?:uri|sur)bl\b"),  # URI blocklists: the links in the message, not the IP
    (Reason.REJECTED, r"sender (?:address )?(?:rejected|refused|denied|blocked|verif\w* failed)|bad sender"
                      r"|domain of sender address|sender domain (?:does not exist|must resolve|not found)"
                      r"|envelope sender|mail from .{0,60}(?:rejected|refused)|sender is not allowed"
                      r"|blocked the sender|senders? (?:is )?on (?:the )?(?:recipient'?s?|user'?s?) block ?list"
                      r"|sender was rejected|unroutable sender|provide a valid from|from:? domain is invalid"
                      r"|purported responsible address"),
    # a header given twice is the message's form, whichever header it is ("Duplicate header
    # 'DKIM-Signature'": no signature failed)
    (Reason.CONTENTERROR, r"duplicate header"),
    (Reason.AUTHFAILURE, r"\bdmarc\b|\bspf\b|\bdkim\b|sender policy framework|domainkeys"
                         r"|does not designate .{0,80} as permitted sender|unauthenticated (?:e-?mail|message)"),
    (Reason.REQUIREPTR, r"reverse (?:dns|lookup|hostname|dns lookup)|\bptr\b|\brdns\b|cannot find your hostname"
                        r"|client host rejected: cannot find|ip name lookup failed|unverifi?y?able sending ip"),
    (Reason.NORELAYING, r"relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited)"
                        r"|not permitted to relay|unable to relay|we do not relay|no relaying|not a gateway"
                        r"|insecure mail relay|use me .{0,80}as a relay|not configured to relay"),
    (Reason.MAILBOXFULL, r"(?:mailbox|mail ?folder) (?:is |was )?(?:full|over ?quota)|over ?quota"
                         r"|quota (?:usage )?exceed"
                         r"|exceeded (?:\w+ )?(?:storage|quota)|insufficient (?:user )?(?:storage|disk space)"
                         r"|mailbox size limit|storage (?:allocation|limit) exceeded|inbox is full"
                         r"|account is full|full mailbox|disk quota|user is over"
                         r"|mailbox exceeds (?:the )?allowed size|exceed(?:s|ed|ing)? (?:\w+ ){0,2}quota|quota violation"
                         r"|not enough storage space|messages in (?:the )?recipient'?s mailbox exceeded"
                         r"|exceeded (?:its |the )?disk space"
                         r"|too many (?:messages|mails) (?:on the server|in (?:the |this )?mailbox)"),
    (Reason.SYSTEMFULL, r"insufficient system storage|system (?:storage|disk) (?:is )?full|mail system full"
                        r"|out of (?:disk )?space"),
    (Reason.EXCEEDLIMIT, r"exceeds? (?:the )?(?:recipient'?s? |mailbox )(?:size )?limit"),
    (Reason.MESGTOOBIG, r"message (?:is )?too (?:big|large)|message (?:size )?exceeds|size limit"
                        r"|exceed\w* (?:the )?maximum (?:\w+ ){0,2}size|message length exceeds"
                        r"|max(?:imum)? message size exceeded"),
    (Reason.HASMOVED, r"has moved|address has changed|has been replaced by|no longer at this"
                      r"|user not local; please try"),
    (Reason.NOTACCEPT, r"null mx|does not accept (?:any )?(?:e-?)?mail|accepts no (?:e-?)?mail"),
    (Reason.SUSPEND, r"(?:mailbox|account|user|recipient) (?:is |has been )?(?:currently )?(?:disabled|inactive"
                     r"|suspended|deactivated|locked|frozen|closed|expired)"
                     r"|(?:inactive|deactivated|disabled|suspended) (?:account|user|mailbox)"
                     r"|temporar(?:y|ily) locked"),  # "User a@b temporary locked" (not Postfix's "delivery temporarily suspended")
    # (Exim heads a failed delivery to a program "pipe to |cmd", to a file "save to /path")
    (Reason.MAILERERROR, r"mailer error|unknown mailer|program (?:failed|exited)|command died|x-unix|procmail"
                         r"|exit (?:code|status)|pipe to|save to /|transport returned \d+|from command:"
                         r"|command (?:output|failed)"),
    (Reason.HOSTUNKNOWN, r"host (?:or domain name )?not found|name service error|domain (?:not found"
                         r"|does not exist|name not found|is not (?:valid|configured))|unrouteable|unroutable"
                         r"|no mx (?:record|host)|nxdomain|unknown host|host unknown|no such domain|invalid domain"
                         r"|illegal host/domain name|name or service not known"),
    (Reason.USERUNKNOWN, r"user unknown|unknown user|no such (?:user|mailbox|recipient|address|account|person)"
                         r"|(?:user|mailbox|address|recipient|account) (?:does ?n[o']t|does not) exist"
                         r"|unknown (?:recipient|local[- ]part|address|mailbox)|invalid (?:recipient|mailbox)"
                         r"|recipient (?:address )?(?:not found|unknown|invalid)|mailbox (?:not found|unknown)"
                         r"|addressee unknown|not (?:a valid|an existing|a known|an active) (?:mailbox|recipient|user"
                         r"|address)|not our customer|undeliverable address|no mail ?box|mail-?box not found"
                         r"|unknown or illegal alias|no (?:account|mailbox|user) (?:here )?by that name|bad[-_ ]recipient"
                         r"|does ?n[o']t exist|doesn'?t have an? \S+ account|user not (?:known|found)"
                         r"|no longer (?:valid|in use|available|active)|non-?existent (?:user|recipient|mailbox|address)"
                         r"|address unknown|requested action not taken: mailbox unavailable"),
    (Reason.VIRUSDETECTED, r"virus|malware|infected|trojan"),
    (Reason.BLOCKED, r"blocked using|black ?list|block ?list|(?<!not )listed (?:on|at|in|by)|spamhaus|spamcop|sorbs"
                     r"|client host rejected|dynamic ip|dial-?up|residential|smtp server of your isp"
                     r"|\bdnsbl\b|\brbl\b|(?:ip|address|host|client)s? (?:address )?(?:is |has been |was )?"
                     r"(?:blocked|banned|blacklisted|denied)|your (?:ip|server|host)|invalid ip for sending"
                     r"|(?:\d{1,3}\.){3}\d{1,3}\]? is not allowed to send|\bblocked (?:sending )?ip\b"
                     r"|not accepting connections"),  # the greeting refused to us (iCloud: "ESMTP not accepting connections")
    (Reason.BADREPUTATION, r"reputation|sender ?score"),
    (Reason.EXPIRED, r"retry time(?:out)? (?:exceeded|not reached)|(?:delivery )?time ?out exceeded"
                     r"|(?:gave|giving) up(?! on \d)|too long in (?:the )?queue|could not be delivered (?:with)?in"
                     r"|cannot send message for|queue file too old|message timed out|not been collected after"
                     r"|(?:failed|aborted) (?:after )?[\d.]+ (?:attempts|hours?|days?)|within the allowed queue period"
                     r"|could not find a gateway|delivery attempts will continue|has been delayed|did not respond"
                     r"|been in the queue too long"),  # qmail's last words: the remote's reply, if quoted, says why
    (Reason.TOOMANYCONN, r"too many (?:connections|concurrent|simultaneous|sessions|recipients|hosts)"
                         r"|connection (?:rate )?(?:limit|rate) exceeded|max(?:imum)? (?:number of )?connections"),
    (Reason.RATELIMITED, r"rate limit|rate-limit|ratelimit|throttl|too many (?:messages|mails|emails)"
                         r"|sending (?:rate|quota)|(?:unusual|excessive) (?:rate|volume)"),
    (Reason.SPAMDETECTED, r"spam|junk|bulk e?-?mail|mass mail|unsolicited|scored too high|phish"
                          r"|content (?:was )?rejected"
                          # (not "Message rejected due to local policy", iCloud's [CS01]: a policy)
                          r"|message (?:content )?(?:rejected|refused) (?:as|because|due)(?! to (?:\w+ )?polic)"),
    (Reason.CONTENTERROR, r"(?:invalid|malformed|bad|illegal|duplicate|missing|broken|improper) (?:\w+ ){0,2}"
                          r"(?:headers?|mime)|headers? (?:syntax|size|too|line|field|error)|mime (?:error|complexity)"
                          r"|malformed|rfc ?(?:5322|2822|822) complian|complian\w* with rfc|violat\w* (?:of )?rfc"
                          r"|bare (?:lf|cr|linefeed)"
                          r"|8-?bit(?!mime)|line too long|message contains invalid"),
    (Reason.SECURITYERROR, r"starttls|\btls\b|encryption required|authentication (?:required|failed|failure)"
                           r"|unauthenticated senders? (?:are |is )?not (?:allowed|permitted|accepted)"  # SMTP AUTH
                           r"|(?:auth|login) (?:failed|required)|certificate"),
    (Reason.POLICYVIOLATION, r"policy|prohibited|not (?:allowed|permitted)|forbidden|banned|violat"
                             r"|administrative|attachment"),
    (Reason.FILTERED, r"filter|refused to accept|not accepting (?:mail|messages) from|user refuses"
                      r"|recipient'?s? preferences"
                      r"|rejected by (?:the )?recipient(?! domain)|blocked by (?:the )?recipient"),
    (Reason.NETWORKERROR, r"connection (?:was )?(?:timed out|refused|reset|closed|lost|dropped)|timed out|no route to host"
                          r"|network (?:is )?unreachable|lost connection|could not connect|unable to connect"
                          r"|mail loop|routing loop|looping|too many hops|hop count"
                          r"|dns (?:lookup )?(?:fail|error|timeout)"
                          r"|temporary (?:dns |lookup )?failure in name resolution"),
    (Reason.SYNTAXERROR, r"syntax error|command (?:not )?(?:recognized|unrecognized|unknown|implemented)"
                         r"|bad sequence|invalid command|parameter"),
    (Reason.SYSTEMERROR, r"system (?:error|failure|problem)|internal (?:server )?error|server (?:error|failure|busy)"
                         r"|error while being processed|configuration error"
                         r"|local error|temporary (?:local )?(?:problem|failure|error)"
                         r"|service (?:currently )?(?:not available|unavailable|temporarily unavailable)"
                         r"|resources? (?:temporarily )?unavailable|too busy"),
)

# RFC 3463 subject.detail -> reason (the class is separate); "" and X.0.0 say nothing. X.2.0 is
# "Other or undefined mailbox status" (the mailbox exists, something about it refused the message),
# no full mailbox: filtered, as Sisimai's status table says.
BY_STATUS = {
    "1.1": Reason.USERUNKNOWN, "1.2": Reason.HOSTUNKNOWN, "1.3": Reason.USERUNKNOWN, "1.4": Reason.USERUNKNOWN,
    "1.5": Reason.USERUNKNOWN, "1.6": Reason.HASMOVED, "1.7": Reason.REJECTED, "1.8": Reason.REJECTED,
    "1.10": Reason.NOTACCEPT, "2.0": Reason.FILTERED, "2.1": Reason.SUSPEND, "2.2": Reason.MAILBOXFULL,
    "2.3": Reason.EXCEEDLIMIT, "2.4": Reason.SYSTEMERROR, "3.0": Reason.SYSTEMERROR, "3.1": Reason.SYSTEMFULL,
    "3.2": Reason.SYSTEMERROR, "3.3": Reason.SYSTEMERROR, "3.4": Reason.MESGTOOBIG, "3.5": Reason.SYSTEMERROR,
    "4.0": Reason.NETWORKERROR, "4.1": Reason.NETWORKERROR, "4.2": Reason.NETWORKERROR,
    "4.3": Reason.SYSTEMERROR, "4.4": Reason.NETWORKERROR, "4.5": Reason.SYSTEMERROR, "4.6": Reason.NETWORKERROR,
    "4.7": Reason.EXPIRED, "5.0": Reason.SYNTAXERROR, "5.1": Reason.SYNTAXERROR, "5.2": Reason.SYNTAXERROR,
    "5.3": Reason.TOOMANYCONN, "5.4": Reason.SYNTAXERROR, "5.5": Reason.SYNTAXERROR, "5.6": Reason.CONTENTERROR,
    "6.0": Reason.CONTENTERROR, "6.1": Reason.CONTENTERROR, "6.2": Reason.CONTENTERROR,
    "6.3": Reason.CONTENTERROR, "6.4": Reason.CONTENTERROR, "6.5": Reason.CONTENTERROR,
    "6.6": Reason.CONTENTERROR, "6.7": Reason.CONTENTERROR, "6.8": Reason.CONTENTERROR,
    "7.0": Reason.SECURITYERROR, "7.1": Reason.POLICYVIOLATION, "7.2": Reason.FILTERED, "7.3": Reason.SECURITYERROR,
    "7.4": Reason.SECURITYERROR, "7.5": Reason.SECURITYERROR, "7.6": Reason.SECURITYERROR,
    "7.7": Reason.SECURITYERROR, "7.8": Reason.SECURITYERROR, "7.9": Reason.SECURITYERROR,
    "7.10": Reason.SECURITYERROR, "7.11": Reason.SECURITYERROR, "7.12": Reason.SECURITYERROR,
    "7.13": Reason.SUSPEND, "7.14": Reason.SECURITYERROR, "7.15": Reason.POLICYVIOLATION,
    "7.16": Reason.POLICYVIOLATION, "7.17": Reason.SUSPEND, "7.18": Reason.SUSPEND,
    "7.19": Reason.POLICYVIOLATION, "7.20": Reason.AUTHFAILURE, "7.21": Reason.AUTHFAILURE,
    "7.22": Reason.AUTHFAILURE, "7.23": Reason.AUTHFAILURE, "7.24": Reason.AUTHFAILURE,
    "7.25": Reason.REQUIREPTR, "7.26": Reason.AUTHFAILURE, "7.27": Reason.REJECTED, "7.28": Reason.RATELIMITED,
    "7.29": Reason.AUTHFAILURE, "7.30": Reason.SECURITYERROR,
}

# Basic reply codes with a meaning of their own (RFC 5321 section 4.2.3).
BY_CODE = {421: Reason.SYSTEMERROR, 450: Reason.ONHOLD, 451: Reason.SYSTEMERROR, 452: Reason.SYSTEMFULL,
           454: Reason.SECURITYERROR, 500: Reason.SYNTAXERROR, 501: Reason.SYNTAXERROR, 502: Reason.SYNTAXERROR,
           503: Reason.SYNTAXERROR, 504: Reason.SYNTAXERROR, 530: Reason.SECURITYERROR, 551: Reason.HASMOVED,
           552: Reason.MAILBOXFULL, 553: Reason.USERUNKNOWN, 554: Reason.ONHOLD, 550: Reason.ONHOLD}

# Amazon SES: "5.1.0 - Unknown address error 550-'5.7.1 <a>... Access denied'": SES's category is
# its guess, the remote's own reply (quoted) is the evidence.
SES_REPLY = re.compile(r"[245]\.\d{1,3}\.\d{1,3} - [\w ]+? ([245]\d\d)[- ]'(.+)'", re.S)

# A reply refused before any recipient is named is about the sender or its IP, not the address.
BY_PHASE = {"connect": Reason.BLOCKED, "helo": Reason.BLOCKED, "ehlo": Reason.BLOCKED, "mail": Reason.REJECTED}

ENHANCED = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)(?!\w)")
BASIC = re.compile(r"(?:^|(?<=[\s(\[]))([245]\d\d)(?=[\s:\-\]]|$)")
PHASE = re.compile(r"in reply to (?:end of )?(data|rcpt|mail|helo|ehlo)\b|(?:after|during) (?:end of )?"
                   r"(data|rcpt|mail|helo|ehlo)\b|(?:^|\s)>>> (data|rcpt|mail|helo|ehlo)\b|(?:while )?(connect)ing to"
                   r"|after initial (connect)ion|refused to talk to me|(connect)ion (?:greeting|banner)"
                   r"|does not like (recipient)|failed after I (sent the message)|\bsmtp:(rcpt|data|mail)\b"
                   r"|(rcpt) to generated|(recipient) address rejected:|\(state (1[3-8])\)\.|most progress was (rcpt)\b",
                   re.I | re.M)
# qmail-remote's words for RCPT and DATA (qmail-send's "most progress was RCPT TO response":
# every MX refused the recipient); Postfix's smtpd says "Recipient address rejected" only at
# RCPT; Gmail's "(state N)" is the command the remote refused (Sisimai's table of them)
PHASE_NAMES = {"recipient": "rcpt", "sent the message": "data", "13": "ehlo", "14": "rcpt", "15": "data",
               "16": "data", "17": "data", "18": "data"}
# What a refusal at the greeting or at MAIL FROM cannot be about: the recipient was not named yet.
RECIPIENT_ONLY = frozenset({Reason.USERUNKNOWN, Reason.HOSTUNKNOWN, Reason.HASMOVED, Reason.NOTACCEPT,
                            Reason.MAILBOXFULL, Reason.EXCEEDLIMIT, Reason.SUSPEND, Reason.FILTERED,
                            Reason.MAILERERROR, Reason.ONHOLD, Reason.UNDEFINED})
# Reasons that say nothing more than "it did not work" when the MTA then gave up on the message.
VAGUE = {Reason.NETWORKERROR, Reason.SYSTEMERROR, Reason.ONHOLD, Reason.UNDEFINED, Reason.SYNTAXERROR}
# A mail loop (RFC 3463 X.4.6, or said so) is refused when detected, not retried until it expired.
LOOP = re.compile(r"mail loop|routing loop|looping|too many hops|hop count|forwarded more than the maximum", re.I)
# Statuses that name the cause of a delay or of a retried failure, not only its duration: X.4.4
# "unable to route" (RFC 3463: the routing information, DNS, was unavailable), X.4.6 a loop.
CAUSES = {"4.4", "4.6"}


def status_in(text: str) -> str:
    """The first RFC 3463 code in a text ("5.1.1"), or ""."""
    found = ENHANCED.search(text or "")
    return found.group(0) if found else ""


def code_in(text: str) -> int | None:
    found = BASIC.search(text or "")
    return int(found.group(1)) if found else None


def phase_in(text: str) -> str:
    """The SMTP phase a reply answered, from MTA wording ("(in reply to RCPT TO command)")."""
    found = PHASE.search(text or "")
    phase = next((g.lower() for g in found.groups() if g), "connect") if found else ""
    return PHASE_NAMES.get(phase, phase)


def by_text(text: str) -> Reason | None:
    """The reason the diagnostic's wording gives, if any."""
    return _match(BY_MTA, text) or _match(BY_REASON, text)


def _match(table: list[tuple[Reason, re.Pattern]], text: str) -> Reason | None:
    return next((reason for reason, pattern in table if pattern.search(text)), None)


# The basic reply code a diagnostic begins with ("550 Requested action ..."), where an MTA that
# writes its RFC 3463 code in the reply puts that code after it.
LEADING_CODE = re.compile(r"^\s*[245]\d\d(?=[ \t]|$)")


def _with_status(diagnostic: str, status: str) -> str:
    """The reply as Microsoft writes it, with its X.5.0 in the text ("550 5.5.0 Requested action
    not taken: mailbox unavailable", an unknown user), when a DSN carries that code in its Status
    field only (Hotmail's own DSN). "" for any other status: beside RFC 5321's generic text a
    system, routing or content status (X.3, X.4, X.6) says nothing of the mailbox, nor does
    X.0.0; and "" when the reply already has a code or begins with none."""
    if not status.endswith(".5.0") or status_in(diagnostic) or not LEADING_CODE.match(diagnostic):
        return ""
    return LEADING_CODE.sub(lambda found: f"{found.group(0)} {status}", diagnostic, count=1)


def classify(status: str = "", smtp_code: int | None = None, phase: str = "", diagnostic: str = "",
             *, action: str = "", permanent: bool | None = None) -> tuple[Reason, bool]:
    """(reason, hard) for one failed recipient. `status` is the RFC 3463 code ("" when none),
    `phase` the SMTP command answered (connect, helo, mail, rcpt, data; "" unknown), `action` the
    DSN Action (SendGrid's "expired": it gave up after retries). Permanence comes from the status
    class, else the reply code, else `permanent` (what the notice says), else an Action "failed".
    Hard means: the address is dead (a reason in ADDRESS_DEAD) and the failure is permanent. A
    refusal before RCPT (greeting, MAIL FROM) is about the sender, never the address."""
    action = (action or "").lower()
    if action in SUCCESS_ACTIONS:
        return Reason.DELIVERED, False
    diagnostic = diagnostic or ""
    relayed = SES_REPLY.match(diagnostic.strip())
    if relayed and status_in(relayed.group(2)):
        code, reply = relayed.groups()
        return classify(status_in(reply), int(code), phase, reply, action=action, permanent=permanent)
    status = status_in(status or "") or status_in(diagnostic)
    smtp_code = smtp_code if smtp_code is not None else code_in(diagnostic)
    phase = (phase or phase_in(diagnostic)).lower()
    if status:
        lasting = status[0] == "5"
    elif smtp_code is not None:
        lasting = smtp_code >= 500
    elif permanent is not None:
        lasting = permanent
    else:
        lasting = action == "failed"
    precise = _match(BY_MTA, diagnostic) or _match(BY_MTA, _with_status(diagnostic, status))
    reason = worded = precise or _match(BY_REASON, diagnostic)
    if reason is None and status:
        reason = BY_STATUS.get(status.split(".", 1)[1]) if not status.endswith(".0.0") else None
    if reason is None:
        reason = BY_PHASE.get(phase) or BY_CODE.get(smtp_code or 0) or Reason.UNDEFINED
    if phase in BY_PHASE and reason in RECIPIENT_ONLY:
        reason = BY_PHASE[phase]  # "550 Unroutable sender address" after MAIL FROM: the sender's domain
    elif reason == Reason.USERUNKNOWN and (phase == "data" or phase != "rcpt" and (
            status[2:4] in ("2.", "7.") or not precise and status[2:4] != "1.")):
        # accepted at RCPT, refused for this message only; or a mailbox or policy status (5.2.1
        # disabled, 5.7.1 refused) that contradicts "unknown"; or generic wording ("550 unknown
        # user", "no such user") that neither the RCPT reply nor an X.1.x status backs: nothing
        # says the address was refused rather than the message
        reason = Reason.FILTERED
    caused = status[2:] in CAUSES or LOOP.search(diagnostic)
    if reason in VAGUE and not caused and (action == "failed" and not lasting or action == "expired"
                                           or action == "delayed" and not worded):
        reason = Reason.EXPIRED  # a temporary failure that lasted until the MTA gave up, or still retried
    return reason, reason in ADDRESS_DEAD and lasting
