"""CSV import of 100,000 contacts (1% invalid lines): time and memory of
services.contacts.import_csv, for new contacts and again as updates, against reading the same
file with the csv module alone (the baseline, measured in the same run). Memory is the growth of
the process's peak RSS (tracemalloc would slow the import tenfold). Prints the figures and writes
them to bench/results/import.json."""
from __future__ import annotations

import csv
import resource
import sys
import time
from pathlib import Path

from harness import environment, install, save

from models.db import database
from services import contacts

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def write_csv(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["email", "name", "plan", "city", "signed_up"])
        for i in range(ROWS):
            address = f"not-an-address-{i}" if i % 100 == 99 else f"person{i}@example{i % 50}.net"
            out.writerow([address, f"Person {i}", ("free", "pro", "team")[i % 3], "Oslo", f"2024-01-{i % 28 + 1:02d}"])


def baseline(path: Path) -> int:
    """Reading every row with the csv module, nothing else."""
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(work) -> tuple[float, float]:
    """(seconds, MB the peak RSS grew by while it ran)."""
    before = peak_rss_mb()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start, peak_rss_mb() - before


def main() -> None:
    env = environment()
    install(env)
    path = Path(env["GATEPOST_VAR_DIR"]) / "contacts.csv"
    write_csv(path)
    with database.connection_context():
        from models import User
        user = User.get()
        read_s, read_growth = measured(lambda: baseline(path))
        target = contacts.create_list(user, "bench").id
        summaries = []
        add_s, add_growth = measured(lambda: summaries.append(contacts.import_csv(user, target, path)))
        update_s, _ = measured(lambda: summaries.append(contacts.import_csv(user, target, path)))
    first, again = summaries[0], summaries[-1]
    figures = {
        "rows": ROWS, "file_mb": round(path.stat().st_size / 1e6, 2), "database": env["GATEPOST_DATABASE_URL"].split(":")[0],
        "added": first["added"], "updated_on_reimport": again["updated"], "invalid": len(first["invalid"]),
        "csv_read_s": round(read_s, 3), "csv_read_rss_growth_mb": round(read_growth, 1),
        "import_new_s": round(add_s, 2), "import_new_rows_per_s": round(ROWS / add_s),
        "import_update_s": round(update_s, 2), "import_rss_growth_mb": round(add_growth, 1),
        "max_rss_mb": round(peak_rss_mb(), 1),
        "ratio_import_to_csv_read_time": round(add_s / read_s, 1),
    }
    save("import", figures)


if __name__ == "__main__":
    main()
