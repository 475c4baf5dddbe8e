// The gated epilogue and the f32 output as pipeir-gen builds them, and their one-line
// refusals (docs/epilogue.md: SwiGLU, Output dtypes).

// SwiGLU gates the scaled and biased N-wide product: the operands stay the product's,
// the gate comes last, and the headline passes keep it.
// RUN: pipeir-gen gemm --m 1000 --n 1040 --k 512 --dtype fp8 --scale rowwise --bias --activation swiglu --out-dtype f32 | pipeir-opt --fold-static-full --roll-producer --hoist-rank --place-epilogue-loads --verify-pipeline | filecheck %s --check-prefix=GATE
// GATE:      c_dtype = f32
// GATE-SAME: problem = array<i64: 1000, 1040, 512>
// GATE:      epi.operand @scale_a broadcast(m) : f32
// GATE-NEXT: epi.operand @scale_b broadcast(n) : f32
// GATE-NEXT: epi.operand @bias broadcast(n) : f32
// GATE:      pipe.epilogue
// GATE:      %[[X:.*]] = epi.add
// GATE-NEXT: %[[G:.*]] = epi.swiglu %[[X]]
// GATE-NEXT: epi.yield %[[G]]

// RUN: not pipeir-gen gemm --m 16 --n 1024 --k 512 --dtype fp8 --tile 128x16x128 --swap-ab --activation swiglu 2>&1 | filecheck %s --check-prefix=SWAP
// SWAP: {{^}}pipeir-gen: error: swiglu is not built with swap_ab: the product's column pairs are then the MMA's rows, which no thread holds together{{$}}

// RUN: not pipeir-gen gemm --m 256 --n 1021 --k 512 --activation swiglu 2>&1 | filecheck %s --check-prefix=ODD
// ODD: {{^}}pipeir-gen: error: swiglu pairs the product's columns, so N must be even, got 1021{{$}}

// RUN: not pipeir-gen gemm --m 256 --n 1024 --k 512 --tile 128x128x64 --arch sm_100a --activation swiglu 2>&1 | filecheck %s --check-prefix=SM100
// SM100: {{^}}pipeir-gen: error: swiglu is not built for sm_100a: its epilogue has no half-width (gated) store{{$}}

// RUN: not pipeir-gen gemm --dtype f32 2>&1 | filecheck %s --check-prefix=F32IN
// F32IN: {{^}}pipeir-gen: error: dtype must be one of f16, bf16, f8e4m3, f8e5m2 on sm_90a, got 'f32'{{$}}
