// place-epilogue-loads on the builder's epilogues: it holds an operand for the tile only
// while the target's register budget allows (sm_90a: 232 registers per consumer thread,
// less the accumulators and 72 for the epilogue's work), cheapest first.

// 128x256 fp8 tile: 128 accumulator registers leave 32; the per-row scale (2) is held,
// the per-column scale and bias (64 each) are loaded per subtile.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype f8e4m3 --scale rowwise --bias --activation silu \
// RUN:   | pipeir-opt --fold-static-full --roll-producer --hoist-rank --place-epilogue-loads \
// RUN:   | filecheck %s --check-prefix=WIDE
// WIDE:      epi.operand @scale_a broadcast(m) : f32
// WIDE-NEXT: epi.operand @scale_b broadcast(n) : f32
// WIDE-NEXT: epi.operand @bias broadcast(n) : bf16
// WIDE:      pipe.epilogue %{{.*}}, %{{.*}} masked(false) prefetch {
// WIDE-NEXT:   %[[ACC:.*]] = epi.acc
// WIDE-NEXT:   %[[SA:.*]] = epi.load @scale_a broadcast(m) placement(tile)
// WIDE-NEXT:   %[[X:.*]] = epi.mul %[[ACC]], %[[SA]]
// WIDE-NEXT:   %[[SB:.*]] = epi.load @scale_b broadcast(n) placement(subtile)
// WIDE-NEXT:   %[[Y:.*]] = epi.mul %[[X]], %[[SB]]
// WIDE-NEXT:   %[[BIAS:.*]] = epi.load @bias broadcast(n) placement(subtile)
// WIDE-NEXT:   %[[Z:.*]] = epi.add %[[Y]], %[[BIAS]]
// WIDE-NEXT:   %[[W:.*]] = epi.activation silu %[[Z]]
// WIDE-NEXT:   epi.yield %[[W]]
// WIDE-NEXT: }

// The statistics say each choice and why.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype f8e4m3 --scale rowwise --bias \
// RUN:   | pipeir-opt --place-epilogue-loads --pass-statistics 2>&1 >/dev/null | filecheck %s --check-prefix=STATS
// STATS: place-epilogue-loads: unmasked epilogue: @scale_a (m): tile (holds 2 register(s) per thread; 30 of 32 left)
// STATS: place-epilogue-loads: unmasked epilogue: @bias (n): subtile (holding it needs 64 register(s) per thread, 30 of 32 left)
// STATS: place-epilogue-loads: unmasked epilogue: @scale_b (n): subtile (holding it needs 64 register(s) per thread, 30 of 32 left)
// STATS: place-epilogue-loads: unmasked epilogue: prefetch (first reads before the K loop)

// 128x128: 64 accumulator registers leave 96, enough to hold all three.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype f8e4m3 --tile 128x128x128 --scale rowwise --bias \
// RUN:   | pipeir-opt --place-epilogue-loads | filecheck %s --check-prefix=NARROW
// NARROW-COUNT-6: placement(tile)
// NARROW-NOT: placement(subtile)

// Tensorwise scales are one register each: held at any tile.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype f8e4m3 --scale tensorwise \
// RUN:   | pipeir-opt --place-epilogue-loads | filecheck %s --check-prefix=SCALAR
// SCALAR-COUNT-4: broadcast(scalar) placement(tile)

// Idempotent: a second run changes nothing (the printed IR's round trip is tests/test_epilogue.py's).
// RUN: pipeir-gen gemm --m 1000 --n 1000 --k 512 --dtype bf16 --bias --activation gelu_tanh \
// RUN:   | pipeir-opt --place-epilogue-loads > %t.once
// RUN: pipeir-opt --place-epilogue-loads %t.once > %t.twice
// RUN: diff %t.once %t.twice

// Prefetch: the first reads of an epilogue that loads operands go before the K loop, on
// sm_90a without split-K; an epilogue that loads nothing is left alone.
// RUN: pipeir-gen gemm --m 1000 --n 1000 --k 512 --dtype bf16 --bias \
// RUN:   | pipeir-opt --fold-static-full --place-epilogue-loads | filecheck %s --check-prefix=PREFETCH
// PREFETCH-COUNT-2: masked({{true|false}}) prefetch {
// RUN: pipeir-gen gemm --m 1000 --n 1000 --k 512 --dtype bf16 \
// RUN:   | pipeir-opt --place-epilogue-loads | filecheck %s --check-prefix=PLAIN
// PLAIN-NOT: prefetch
// prefetch=false reads after the accumulator wait, and says so; it also unmarks.
// RUN: pipeir-gen gemm --m 1000 --n 1000 --k 512 --dtype bf16 --bias | pipeir-opt --place-epilogue-loads \
// RUN:   | pipeir-opt -p 'place-epilogue-loads{prefetch=false}' --pass-statistics 2>&1 | filecheck %s --check-prefix=AFTER
// AFTER-NOT: prefetch {
// AFTER: place-epilogue-loads: masked epilogue: reads after the accumulator wait (prefetch=false)
// AFTER-NOT: prefetch {
// Split-K: only the last split stores, so nothing is prefetched.
// RUN: pipeir-gen gemm --dtype f8e4m3 --split-k 4 --tile 128x64x128 --scale rowwise \
// RUN:   | pipeir-opt --place-epilogue-loads --pass-statistics 2>&1 | filecheck %s --check-prefix=SPLIT
// SPLIT-NOT: prefetch {
// SPLIT: reads after the accumulator wait (split-K: only the last split stores its tile)
// sm_100a's epilogue reads after the accumulator wait.
// RUN: pipeir-gen gemm --m 4096 --n 4096 --k 4096 --dtype f8e4m3 --scale rowwise --arch sm_100a \
// RUN:   | pipeir-opt --place-epilogue-loads --pass-statistics 2>&1 | filecheck %s --check-prefix=SM100
// SM100-NOT: prefetch {
// SM100: reads after the accumulator wait (sm_100a's epilogue does not prefetch)
