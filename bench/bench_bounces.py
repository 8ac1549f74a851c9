"""Bounce classification against the labelled corpora (tests/fixtures/bounces: notices modelled
on each MTA's wording; sisimai/: real bounces from Sisimai's public test set with its labels;
flufl/ and bounce_email/: the real bounces of flufl.bounce's and the bounce_email gem's test data,
sisimai-more/, sisimai-eg/ and sisimai-eg2/: more of Sisimai's, baunsu/: the baunsu npm package's,
bounceparser/: Mail::DeliveryStatus::BounceParser's, phpbounce/: PHP-Bounce-Handler's, sisimai-bsd/ and sisimai-bsd2/: more of
Sisimai's set-of-emails, all labelled
by Sisimai 4.25.15), or the directories given as arguments, laid out the same way (a labels.tsv beside the messages): per corpus,
recognised, agreement per reason and overall,
false suppressions (a soft failure suppressed) and missed hard bounces, for services.bounces and
for the old rule measured in the same run ("Action failed or 5xx = hard", the baseline).
Prints the figures and writes them to bench/results/bounces.json."""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

from harness import ROOT, save

from services.bounces import parse

BOUNCES = ROOT / "tests" / "fixtures" / "bounces"
CORPORA = (BOUNCES, BOUNCES / "sisimai", BOUNCES / "flufl", BOUNCES / "bounce_email", BOUNCES / "sisimai-more",
           BOUNCES / "sisimai-eg", BOUNCES / "baunsu", BOUNCES / "sisimai-eg2", BOUNCES / "bounceparser",
           BOUNCES / "phpbounce", BOUNCES / "sisimai-bsd", BOUNCES / "sisimai-bsd2")


def labels(corpus: Path) -> list[tuple[str, str, str, str, str]]:
    return [tuple(line.split("\t")) for line in (corpus / "labels.tsv").read_text().splitlines()
            if line and not line.startswith("#")]


def measure(corpus: Path) -> dict:
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
        elif kind == "complaint":
            ours = baseline = "complaint" if recipient in report.complained else "none"
            got_reason = "feedback" if ours == "complaint" else ""
        else:
            ours = "none" if report.kind == kind else "soft" if report.failures else "none"
            baseline = "soft" if report.failures else "none"  # the old parser saw no reason, only failures
            got_reason = {"auto-reply": "vacation", "delivered": "delivered"}.get(report.kind, "")
        recognised += report.kind == kind and (kind not in ("bounce", "complaint") or ours != "none")
        reason_agreed += got_reason == reason
        per_reason[reason][0] += got_reason == reason
        per_reason[reason][1] += 1
        for who, got in (("ours", ours), ("baseline", baseline)):
            agree[who] += got == label
            false_suppressions[who] += label == "soft" and got == "hard"
            missed_hard[who] += label == "hard" and got != "hard"

    n = len(rows)
    figures = {
        "messages": len(files), "results": n, "hard_labelled": hard, "soft_labelled": soft,
        "agreement_class": agree["ours"] / n, "agreement_class_baseline": agree["baseline"] / n,
        "agreement_reason": reason_agreed / n, "recognised": recognised / n,
        "false_suppressions": false_suppressions["ours"] / max(1, soft),
        "false_suppressions_baseline": false_suppressions["baseline"] / max(1, soft),
        "missed_hard": missed_hard["ours"] / max(1, hard),
        "missed_hard_baseline": missed_hard["baseline"] / max(1, hard),
        "parse_ms_per_message": parse_ms,
        "per_reason": {reason: f"{a}/{t}" for reason, (a, t) in sorted(per_reason.items())},
    }
    figures["ratio_agreement_to_baseline"] = figures["agreement_class"] / max(1e-9, figures["agreement_class_baseline"])
    return figures


def main() -> None:
    corpora = [Path(arg) for arg in sys.argv[1:]] or CORPORA
    save("bounces", {str(c.relative_to(ROOT) if c.is_relative_to(ROOT) else c): measure(c) for c in corpora})


if __name__ == "__main__":
    main()
