// Split-K: the work units are (output tile, K split) pairs; every copy names its unit's
// split, every unit hands its partial to pipe.split_reduce, and only the unit that
// completes the tile's reduction runs the epilogue. The headline passes apply
// unchanged and verify-pipeline proves each form.

// Static decode M = 16, swap_ab, 3 splits of K = 4096 (64 k-tiles: 22 per slice, the
// last slice 20 and 2 zero-filled), a 2x1 cluster.
// RUN: pipeir-gen gemm --m 16 --n 4096 --k 4096 --swap-ab --split-k 3 --tile 128x64x64 --cluster 2x1 | filecheck %s --check-prefix=IR
// IR:      problem = array<i64: 4096, 16, 4096>
// IR-SAME: swap_ab, split_k = 3 : index
// IR:      pipe.role producer
// IR:      %[[P_TILE:.*]] = scf.for
// IR:      %[[P_M:.*]], %[[P_N:.*]] = pipe.tile_coords
// IR-NEXT: %[[P_SPLIT:.*]] = pipe.k_split
// IR:      pipe.copy "a"[%[[P_M]], %{{.*}}] split %[[P_SPLIT]] into
// IR:      pipe.role consumer
// IR:      %[[M:.*]], %[[N:.*]] = pipe.tile_coords
// IR-NEXT: %[[SPLIT:.*]] = pipe.k_split
// IR:      %[[LAST:.*]] = pipe.split_reduce %[[M]], %[[N]] split %[[SPLIT]]
// IR-NEXT: scf.if %[[LAST]] {
// IR:      pipe.epilogue %[[M]], %[[N]] masked(false)

// RUN: pipeir-gen gemm --m 16 --n 4096 --k 4096 --swap-ab --split-k 3 --tile 128x64x64 --cluster 2x1 | pipeir-opt --verify-pipeline --fold-static-full --verify-pipeline --roll-producer --verify-pipeline --hoist-rank --verify-pipeline --place-epilogue-loads --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=STATIC
// STATIC-NOT: error
// STATIC:      verify-pipeline: @gemm: protocol holds on 8 CTA launch(es) over 1 problem size(s)
// STATIC:      fold-static-full: folded
// STATIC:      verify-pipeline: @gemm: protocol holds
// STATIC:      roll-producer: @gemm: rolled 1 producer loop(s)
// STATIC:      verify-pipeline: @gemm: protocol holds
// STATIC:      hoist-rank: role 'producer': 1 rank derivation(s) -> 1 before the work-tile loop
// STATIC:      verify-pipeline: @gemm: protocol holds

// Dynamic M, N and K with a fused epilogue: the dynamic K's k-tile counts 1..2S+2 include
// K tiles fewer than the splits (slices past K load zeros).
// RUN: pipeir-gen gemm --dtype f8e4m3 --split-k 4 --tile 128x64x128 --scale rowwise --bias --activation silu | pipeir-opt --verify-pipeline --roll-producer --hoist-rank --place-epilogue-loads --verify-pipeline --pass-statistics -o /dev/null 2>&1 | filecheck %s --check-prefix=DYN
// DYN-NOT: error
// DYN:     verify-pipeline: @gemm: protocol holds on {{[0-9]+}} CTA launch(es) over {{[0-9]+}} problem size(s)
// DYN:     roll-producer: @gemm: rolled 1 producer loop(s)
// DYN:     verify-pipeline: @gemm: protocol holds

// RUN: not pipeir-gen gemm --m 64 --n 256 --k 128 --split-k 3 2>&1 | filecheck %s --check-prefix=TOO_MANY
// TOO_MANY: pipeir-gen: error: split_k 3 exceeds the 2 k-tile(s) of K = 128: some slices would be empty
// RUN: not pipeir-gen gemm --m 64 --n 256 --k 4096 --split-k 2 --arch sm_100a 2>&1 | filecheck %s --check-prefix=SM100
// SM100: pipeir-gen: error: split_k is not built for sm_100a: its epilogue has no split-K reduction
