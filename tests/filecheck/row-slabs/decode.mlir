// --row-slabs marks the kernel `row_slabs`: a copy of an operand whose rows may run past
// its end (here the token tile, M known only at run time) loads 8-row slabs and skips
// the ones past M. The ring protocol is the same, so the headline passes apply unchanged
// and the verifier proves it; the property survives printing and parsing.
//
// RUN: pipeir-gen gemm --m dyn --n 4096 --k 4096 --dtype fp8 --tile 64x32x256 --swap-ab --pingpong --raster n --scale rowwise --row-slabs > %t.naive
// RUN: pipeir-opt --fold-static-full --roll-producer --hoist-rank --place-epilogue-loads --verify-each --verify-pipeline %t.naive > %t.headline
// RUN: filecheck %s < %t.headline
// RUN: pipeir-opt %t.headline | filecheck %s

// CHECK:      problem = array<i64: 4096, -1, 4096>
// CHECK-SAME: swap_ab, pingpong, row_slabs
// CHECK:      pipe.role producer warps(1)
// CHECK:        pipe.copy "a"
// CHECK:        pipe.copy "b"
// CHECK:      pipe.role consumer warps(8)
