#!/usr/bin/env bash
# Dynamic instruction counts of the naive and the fully optimized kernel (GPU
# machine): warp instructions per SMSP (average and total) and duration, read by
# Nsight Compute with --clock-control none.
set -euo pipefail
metrics=smsp__inst_executed.avg,smsp__inst_executed.sum,gpu__time_duration.sum
for form in naive full; do
  echo "== $form"
  ncu --clock-control none --kernel-name regex:gemm_kernel --launch-skip 2 --launch-count 1 \
      --metrics "$metrics" --csv python3 bench/profile_one.py "$form" "$@" 2>/dev/null \
    | grep -E 'smsp__inst_executed|gpu__time_duration' | awk -F'","' '{print $(NF-2), $(NF-1), $NF}'
done
