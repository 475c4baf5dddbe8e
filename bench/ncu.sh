#!/usr/bin/env bash
# Dynamic instruction counts of the naive and the fully optimized kernel (GPU
# machine), read by Nsight Compute with --clock-control none from the third launch:
# warp instructions per SMSP (average and total), duration, and per-opcode executed
# counts (TMA loads, SYNCS barrier operations, BAR) summed over the kernel's SASS.
#   bash bench/ncu.sh [--dtype bf16] [--shape 4096x4096x4096]
set -euo pipefail
metrics=smsp__inst_executed.avg,smsp__inst_executed.sum,gpu__time_duration.sum
work=$(mktemp -d)
for form in naive full; do
  echo "== $form"
  ncu --clock-control none --kernel-name regex:gemm_kernel --launch-skip 2 --launch-count 1 \
      --metrics "$metrics" --csv python3 bench/profile_one.py "$form" "$@" 2>/dev/null \
    | grep -E 'smsp__inst_executed|gpu__time_duration' | awk -F'","' '{print $(NF-2), $(NF-1), $NF}'
  ncu --clock-control none --kernel-name regex:gemm_kernel --launch-skip 2 --launch-count 1 \
      --section SourceCounters -f -o "$work/$form" python3 bench/profile_one.py "$form" "$@" > /dev/null 2>&1
  ncu --import "$work/$form.ncu-rep" --page source --print-source sass --csv > "$work/$form.csv"
  python3 bench/sass_opcode_counts.py "$work/$form.csv"
done
rm -rf "$work"
