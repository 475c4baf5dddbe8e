// Verifier errors of the epi dialect and of pipe.epilogue's region (same scheme as
// verify-errors-copy.mlir: each `// ----- LABEL` section runs alone, line numbers kept).
// Together with verify-errors-outside-epilogue.mlir they cover every rule of
// pipeir/dialects/epi.py.

// ----- UNDECLARED
// a load of an operand the kernel does not take
// RUN: awk -v c=UNDECLARED 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=UNDECLARED
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  epi.operand @scale_a broadcast(m) : f32
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
// UNDECLARED-NOT: Traceback
// UNDECLARED: {{^}}<stdin>:[[# @LINE + 2]]:7: error: 'epi.load' @scale_b: the kernel takes no epilogue operand @scale_b (it takes @scale_a){{$}}
// UNDECLARED-NOT: {{.}}
      %s = epi.load @scale_b broadcast(n) placement(subtile)
      %x = epi.mul %a, %s
      epi.yield %x
    }
  }
}

// ----- SHAPE
// a load whose shape is not the declared operand's
// RUN: awk -v c=SHAPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=SHAPE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  epi.operand @scale_a broadcast(m) : f32
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
// SHAPE-NOT: Traceback
// SHAPE: {{^}}<stdin>:[[# @LINE + 2]]:7: error: 'epi.load' @scale_a: loads a (N,) operand, but the kernel's @scale_a has shape (M,) (broadcast(m)){{$}}
// SHAPE-NOT: {{.}}
      %s = epi.load @scale_a broadcast(n) placement(subtile)
      %x = epi.mul %a, %s
      epi.yield %x
    }
  }
}

// ----- MATRIX_HELD
// an (M, N) operand held for a whole tile
// RUN: awk -v c=MATRIX_HELD 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MATRIX_HELD
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  epi.operand @c0 broadcast(mn) : bf16
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
// MATRIX_HELD-NOT: Traceback
// MATRIX_HELD: {{^}}<stdin>:[[# @LINE + 2]]:7: error: 'epi.load' @c0: an (M, N) operand is loaded per subtile (placement(tile) would hold a second accumulator's worth of registers){{$}}
// MATRIX_HELD-NOT: {{.}}
      %s = epi.load @c0 broadcast(mn) placement(tile)
      %x = epi.add %a, %s
      epi.yield %x
    }
  }
}

// ----- RESERVED
// an operand named like the GEMM's own tensors
// RUN: awk -v c=RESERVED 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=RESERVED
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
// RESERVED-NOT: Traceback
// RESERVED: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'epi.operand' @c: a, b and c name the GEMM's own tensors{{$}}
// RESERVED-NOT: {{.}}
  epi.operand @c broadcast(mn) : bf16
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
      epi.yield %a
    }
  }
}

// ----- TWICE
// an operand declared twice
// RUN: awk -v c=TWICE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=TWICE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  epi.operand @bias broadcast(n) : bf16
// TWICE-NOT: Traceback
// TWICE: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'epi.operand' @bias: the kernel declares @bias twice{{$}}
// TWICE-NOT: {{.}}
  epi.operand @bias broadcast(n) : bf16
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
      epi.yield %a
    }
  }
}

// ----- OPERAND_TYPE
// an operand of a type the epilogue cannot read
// RUN: awk -v c=OPERAND_TYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=OPERAND_TYPE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
// OPERAND_TYPE-NOT: Traceback
// OPERAND_TYPE: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'epi.operand' @bias: element type must be one of f32, bf16, f16, got i32{{$}}
// OPERAND_TYPE-NOT: {{.}}
  epi.operand @bias broadcast(n) : i32
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
      epi.yield %a
    }
  }
}

// ----- NO_YIELD
// an epilogue region that stores nothing
// RUN: awk -v c=NO_YIELD 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=NO_YIELD
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
// NO_YIELD-NOT: Traceback
// NO_YIELD: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.epilogue': its region must end with 'epi.yield' (the value stored){{$}}
// NO_YIELD-NOT: {{.}}
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
    }
  }
}

// ----- SWIGLU_ODD
// SwiGLU pairs columns: N must be even
// RUN: awk -v c=SWIGLU_ODD 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=SWIGLU_ODD
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 255, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
// SWIGLU_ODD-NOT: Traceback
// SWIGLU_ODD: {{^}}<stdin>:[[# @LINE + 2]]:7: error: 'epi.swiglu': pairs columns, so N must be even, got 255{{$}}
// SWIGLU_ODD-NOT: {{.}}
      %g = epi.swiglu %a
      epi.yield %g
    }
  }
}

// ----- SWIGLU_USE
// SwiGLU's half-width result feeds only the store
// RUN: awk -v c=SWIGLU_USE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=SWIGLU_USE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
// SWIGLU_USE-NOT: Traceback
// SWIGLU_USE: {{^}}<stdin>:[[# @LINE + 2]]:7: error: 'epi.swiglu': its result has half the columns, so only 'epi.yield' may use it, not 'epi.add'{{$}}
// SWIGLU_USE-NOT: {{.}}
      %g = epi.swiglu %a
      %x = epi.add %g, %a
      epi.yield %x
    }
  }
}

// ----- CONSTANT
// a constant that is not finite
// RUN: awk -v c=CONSTANT 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=CONSTANT
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %m = arith.constant 0 : index
    pipe.epilogue %m, %m masked(false) {
      %a = epi.acc
// CONSTANT-NOT: Traceback
// CONSTANT: {{^}}<stdin>:[[# @LINE + 2]]:7: error: 'epi.constant': the value must be finite, got inf{{$}}
// CONSTANT-NOT: {{.}}
      %c = epi.constant 0x7FF0000000000000 : f64
      %x = epi.mul %a, %c
      epi.yield %x
    }
  }
}
// ----- PREFETCH_NO_LOAD
// prefetch on an epilogue that loads no operand
// RUN: awk -v c=PREFETCH_NO_LOAD 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PREFETCH_NO_LOAD
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %t = arith.constant 0 : index
    %m, %n = pipe.tile_coords %t
// PREFETCH_NO_LOAD-NOT: Traceback
// PREFETCH_NO_LOAD: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.epilogue': prefetch needs a region that loads an operand ('epi.load'){{$}}
// PREFETCH_NO_LOAD-NOT: {{.}}
    pipe.epilogue %m, %n masked(false) prefetch {
      %a = epi.acc
      epi.yield %a
    }
  }
}
// ----- PREFETCH_COORDS
// prefetch where (m, n) are not one pipe.tile_coords' results: no place to hoist the reads to
// RUN: awk -v c=PREFETCH_COORDS 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PREFETCH_COORDS
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 256, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  epi.operand @scale_a broadcast(m) : f32
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %t = arith.constant 0 : index
    %m, %n = pipe.tile_coords %t
// PREFETCH_COORDS-NOT: Traceback
// PREFETCH_COORDS: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.epilogue': prefetch needs its (m, n) to be the results of one 'pipe.tile_coords'{{$}}
// PREFETCH_COORDS-NOT: {{.}}
    pipe.epilogue %n, %m masked(false) prefetch {
      %a = epi.acc
      %s = epi.load @scale_a broadcast(m) placement(tile)
      %x = epi.mul %a, %s
      epi.yield %x
    }
  }
}
// ----- PREFETCH_SM100
// prefetch on a target whose epilogue cannot
// RUN: awk -v c=PREFETCH_SM100 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PREFETCH_SM100
pipe.kernel @k attributes {arch = #pipe<arch sm_100a>, a_dtype = f8E4M3FN, b_dtype = f8E4M3FN, c_dtype = bf16, tile = array<i64: 128, 128, 128>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  epi.operand @scale_a broadcast(m) : f32
  %p = pipe.pipeline stages(2)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(4) {
    %t = arith.constant 0 : index
    %m, %n = pipe.tile_coords %t
// PREFETCH_SM100-NOT: Traceback
// PREFETCH_SM100: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.epilogue': prefetch is not built for sm_100a: its epilogue reads after the accumulator wait{{$}}
// PREFETCH_SM100-NOT: {{.}}
    pipe.epilogue %m, %n masked(false) prefetch {
      %a = epi.acc
      %s = epi.load @scale_a broadcast(m) placement(tile)
      %x = epi.mul %a, %s
      epi.yield %x
    }
  }
}
