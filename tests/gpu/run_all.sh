#!/usr/bin/env bash
# The GPU suite as run on the H100 machine (after `source /root/gpu-env.sh`):
# the e2e sweep in parallel workers, then memcheck on an edge-tile case.
set -uo pipefail
out=${OUT:-/tmp/pipeir-gpu}
mkdir -p "$out"
python3 -m pytest tests/gpu -q -n 8 --dist loadgroup -p no:cacheprovider 2>&1 | tee "$out/pytest.log" | tail -25
status=${PIPESTATUS[0]}
# API-call errors are not reported: CuTe DSL probes driver entry points (cuGetProcAddress)
# while detecting the GPU arch, which memcheck would count; device memory errors are.
compute-sanitizer --tool memcheck --report-api-errors no --error-exitcode 9 python3 tests/gpu/memcheck_edge.py > "$out/memcheck.log" 2>&1
echo "memcheck exit $?"; grep -E "ERROR SUMMARY|relative error" "$out/memcheck.log"
exit $status
