"""Sum Nsight Compute's per-instruction executed counts (`ncu --page source
--print-source sass --csv`) by opcode family: TMA loads (UTMALDG), SYNCS
(mbarrier operations), BAR, WGMMA, and all instructions.

    python3 bench/sass_opcode_counts.py report.csv
"""

import csv
import sys
from collections import Counter

FAMILIES = ("UTMALDG", "UTMASTG", "SYNCS", "BAR", "HGMMA", "QGMMA")
EXECUTED = ("Warp Instructions Executed", "Instructions Executed")


def main(path: str) -> None:
    with open(path, newline="") as file:
        lines = [line for line in file if line.strip() and not line.startswith("==")]
    # ncu prints the kernel's name on its own rows before the table's header
    header = next((i for i, line in enumerate(lines) if '"Source"' in line), 0)
    rows = list(csv.DictReader(lines[header:]))
    if not rows:
        raise SystemExit(f"{path}: no rows")
    column = next((c for c in EXECUTED if c in rows[0]), None)
    if column is None or "Source" not in rows[0]:
        raise SystemExit(f"{path}: expected Source and one of {EXECUTED}; columns are {list(rows[0])}")
    totals: Counter = Counter()
    for row in rows:
        tokens = row["Source"].split()
        if tokens and tokens[0].startswith("@"):  # predicate guard
            tokens = tokens[1:]
        opcode = tokens[0] if tokens else ""
        count = int(float(row[column].replace(",", "") or 0))
        totals["all"] += count
        for family in FAMILIES:
            if opcode.startswith(family):
                totals[family] += count
    print("   " + "  ".join(f"{name} {totals[name]:,}" for name in ("all", *FAMILIES)))


if __name__ == "__main__":
    main(sys.argv[1])
