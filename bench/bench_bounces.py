"""Bounce classification against the labelled corpora (tests/fixtures/bounces: notices modelled
on each MTA's wording; sisimai/: real bounces from Sisimai's public test set with its labels;
flufl/ and bounce_email/: the real bounces of flufl.bounce's and the bounce_email gem's test data,
sisimai-more/, sisimai-eg/, sisimai-eg2/, sisimai-bsd/, sisimai-bsd2/, sisimai-bsd3/ and sisimai-bsd4/: more of Sisimai's,
baunsu/: the baunsu npm package's, bounceparser/: Mail::DeliveryStatus::BounceParser's,
phpbounce/: PHP-Bounce-Handler's, exim-testsuite/: the notices Exim's own test suite wrote, oss-tests/: other
projects' test messages (flanker, listmonk, the mail gem, Dada Mail, deliveryboy, MailBounceDetector,
tmail_bouncer), assorted/: the zoonru PHP-Bounce-Handler fork's, bounceHammer's, CiviCRM's and
Zammad's, libtests/: mail libraries' and MTAs' test messages (CPython's email package, MimeKit,
mailparser, Chatwoot, Stalwart), apps/: applications' test messages (MediaWiki's BounceHandler,
Odoo, Schleuder, Discourse), mailclients/: mail clients' and small mail projects' (Delta Chat,
chasquid, commons-email, a flufl.bounce fork), all labelled by Sisimai 4.25.15), or the directories given as arguments,
laid out the same way (a labels.tsv beside the messages). Per corpus, and for all the real ones
together ("all real": every corpus but the modelled notices): recognised, agreement per reason
and overall, false suppressions (a soft failure suppressed) and missed hard bounces, for
services.bounces and for the old rule measured in the same run ("Action failed or 5xx = hard",
the baseline). Prints the figures and writes them to bench/results/bounces.json."""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

from harness import ROOT, save

from services.bounces import parse
from tests.services.test_bounce_reasons import REAL_CORPORA

BOUNCES = ROOT / "tests" / "fixtures" / "bounces"
CORPORA = (BOUNCES, *(BOUNCES / name for name in REAL_CORPORA))  # the tests' table of real corpora


def labels(corpus: Path) -> list[tuple[str, str, str, str, str]]:
    return [tuple(line.split("\t")) for line in (corpus / "labels.tsv").read_text().splitlines()
            if line and not line.startswith("#")]


def measure(corpus: Path) -> dict:
    """The counts of one corpus (see figures)."""
    rows = labels(corpus)
    files = sorted({row[0] for row in rows})
    start = time.perf_counter()
    reports = {name: parse((corpus / name).read_bytes()) for name in files}
    parse_ms = (time.perf_counter() - start) / len(files) * 1000

    per_reason = defaultdict(lambda: [0, 0])  # reason -> [agreed, total]
    agree = dict(ours=0, baseline=0)
    recognised = reason_agreed = 0
    false_suppressions = dict(ours=0, baseline=0)
    missed_hard = dict(ours=0, baseline=0)
    soft = sum(1 for row in rows if row[4] == "soft")
    hard = sum(1 for row in rows if row[4] == "hard")
    for name, kind, recipient, reason, label in rows:
        report = reports[name]
        # the inbound listener matches a failure by either address (lower-cased): so does the benchmark
        failure = next((f for f in report.failures if recipient.lower() in (f.recipient, f.original_recipient)), None)
        if kind == "bounce":
            ours = ("hard" if failure.hard else "soft") if failure else "none"
            baseline = ("hard" if failure.permanent else "soft") if failure else "none"
            got_reason = str(failure.reason) if failure else ""
            seen = report.kind == "bounce" and failure is not None
        elif kind == "complaint":
            # a provider may redact the complainant: naming nobody, the report is still recognised
            # and its reason right (the listener then goes by the return-path token); naming
            # someone else, it is not. Class agreement counts only the labelled name.
            seen = report.kind == "complaint" and (recipient in report.complained or not report.complained)
            ours = baseline = "complaint" if recipient in report.complained else "none"
            got_reason = "feedback" if seen else ""
        elif kind == "delivered" and report.kind == "bounce":
            # a report that delivered to this recipient and failed or delayed others (RFC 3464 allows
            # Action: delivered beside Action: failed): judged by this recipient's own failure
            ours = ("hard" if failure.hard else "soft") if failure else "none"
            baseline = ("hard" if failure.permanent else "soft") if failure else "none"
            got_reason = str(failure.reason) if failure else "delivered"
            seen = failure is None
        else:
            ours = "none" if report.kind == kind else "soft" if report.failures else "none"
            baseline = "soft" if report.failures else "none"  # the old parser saw no reason, only failures
            got_reason = {"auto-reply": "vacation", "delivered": "delivered"}.get(report.kind, "")
            seen = report.kind == kind
        recognised += seen
        reason_agreed += got_reason == reason
        per_reason[reason][0] += got_reason == reason
        per_reason[reason][1] += 1
        for who, got in (("ours", ours), ("baseline", baseline)):
            agree[who] += got == label
            false_suppressions[who] += label == "soft" and got == "hard"
            missed_hard[who] += label == "hard" and got != "hard"

    return {"messages": len(files), "results": len(rows), "hard_labelled": hard, "soft_labelled": soft,
            "agreed": agree["ours"], "agreed_baseline": agree["baseline"], "reason_agreed": reason_agreed,
            "recognised": recognised, "false_suppressions": false_suppressions["ours"],
            "false_suppressions_baseline": false_suppressions["baseline"], "missed_hard": missed_hard["ours"],
            "missed_hard_baseline": missed_hard["baseline"], "parse_ms": parse_ms * len(files),
            "per_reason": {reason: tuple(counts) for reason, counts in per_reason.items()}}


def total(counts: list[dict]) -> dict:
    out = {key: sum(c[key] for c in counts) for key in counts[0] if key != "per_reason"}
    out["per_reason"] = {}
    for c in counts:
        for reason, (agreed, seen) in c["per_reason"].items():
            was = out["per_reason"].get(reason, (0, 0))
            out["per_reason"][reason] = (was[0] + agreed, was[1] + seen)
    return out


def figures(c: dict) -> dict:
    """Counts as rates, each with its count beside it ("false suppressions 3 of 26")."""
    n, soft, hard = c["results"], max(1, c["soft_labelled"]), max(1, c["hard_labelled"])
    out = {
        "messages": c["messages"], "results": n, "hard_labelled": c["hard_labelled"], "soft_labelled": c["soft_labelled"],
        "agreement_class": c["agreed"] / n, "agreement_class_baseline": c["agreed_baseline"] / n,
        "agreement_reason": c["reason_agreed"] / n, "recognised": c["recognised"] / n,
        "false_suppressions": c["false_suppressions"] / soft,
        "false_suppressions_count": f"{c['false_suppressions']} of {c['soft_labelled']}",
        "false_suppressions_baseline": c["false_suppressions_baseline"] / soft,
        "missed_hard": c["missed_hard"] / hard, "missed_hard_count": f"{c['missed_hard']} of {c['hard_labelled']}",
        "missed_hard_baseline": c["missed_hard_baseline"] / hard,
        "parse_ms_per_message": c["parse_ms"] / c["messages"],
        "per_reason": {reason: f"{a}/{t}" for reason, (a, t) in sorted(c["per_reason"].items())},
    }
    out["ratio_agreement_to_baseline"] = out["agreement_class"] / max(1e-9, out["agreement_class_baseline"])
    return out


def main() -> None:
    corpora = [Path(arg) for arg in sys.argv[1:]] or CORPORA
    counts = {str(c.relative_to(ROOT) if c.is_relative_to(ROOT) else c): measure(c) for c in corpora}
    results = {name: figures(c) for name, c in counts.items()}
    real = [c for corpus, c in zip(corpora, counts.values()) if corpus != BOUNCES]
    if len(real) > 1:
        results["all real"] = figures(total(real))
    save("bounces", results)


if __name__ == "__main__":
    main()
