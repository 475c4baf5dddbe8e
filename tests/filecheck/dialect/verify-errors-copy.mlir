// Verifier errors of pipe.copy: acquire/commit bracketing, operands, multicast rank, role.
//
// pipeir-opt stops at the first error, so `--split-input-file` would check only
// the first case (and report chunk-relative lines). Instead each case is a
// `// ----- LABEL` section whose RUN line feeds pipeir-opt this file with every
// other section blanked out (awk), so line numbers stay those of this file: each
// check pins the error's line and column as well as its message, and that the
// error is the only line printed (no Python traceback).
// The verify-errors-*.mlir files together cover every verifier rule of
// pipeir/dialects/pipe.py.

// ----- COPY_BEFORE_ACQUIRE
// copy issued before the stage is acquired
// RUN: awk -v c=COPY_BEFORE_ACQUIRE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_BEFORE_ACQUIRE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
// COPY_BEFORE_ACQUIRE-NOT: Traceback
// COPY_BEFORE_ACQUIRE: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.copy' of 'a' must sit between a 'pipe.acquire' and a 'pipe.commit' of the same stage state in the same block{{$}}
// COPY_BEFORE_ACQUIRE-NOT: {{.}}
    pipe.copy "a"[%c0, %c0] into %p[%s]
    pipe.acquire %p[%s]
    pipe.commit %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- COPY_AFTER_COMMIT
// copy issued after the stage is committed
// RUN: awk -v c=COPY_AFTER_COMMIT 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_AFTER_COMMIT
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
    pipe.acquire %p[%s]
    pipe.commit %p[%s]
// COPY_AFTER_COMMIT-NOT: Traceback
// COPY_AFTER_COMMIT: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.copy' of 'a' must sit between a 'pipe.acquire' and a 'pipe.commit' of the same stage state in the same block{{$}}
// COPY_AFTER_COMMIT-NOT: {{.}}
    pipe.copy "a"[%c0, %c0] into %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- COPY_NO_COMMIT
// copy never committed
// RUN: awk -v c=COPY_NO_COMMIT 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_NO_COMMIT
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
    pipe.acquire %p[%s]
// COPY_NO_COMMIT-NOT: Traceback
// COPY_NO_COMMIT: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.copy' of 'a' must sit between a 'pipe.acquire' and a 'pipe.commit' of the same stage state in the same block{{$}}
// COPY_NO_COMMIT-NOT: {{.}}
    pipe.copy "a"[%c0, %c0] into %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- COPY_OTHER_BLOCK
// acquire and commit must be in the copy's own block
// RUN: awk -v c=COPY_OTHER_BLOCK 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_OTHER_BLOCK
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
    %true = arith.constant true
    pipe.acquire %p[%s]
    scf.if %true {
// COPY_OTHER_BLOCK-NOT: Traceback
// COPY_OTHER_BLOCK: {{^}}<stdin>:[[# @LINE + 2]]:7: error: 'pipe.copy' of 'a' must sit between a 'pipe.acquire' and a 'pipe.commit' of the same stage state in the same block{{$}}
// COPY_OTHER_BLOCK-NOT: {{.}}
      pipe.copy "a"[%c0, %c0] into %p[%s]
    }
    pipe.commit %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- COPY_OTHER_STATE
// acquire/commit of another state do not cover the copy
// RUN: awk -v c=COPY_OTHER_STATE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_OTHER_STATE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
    %s1 = pipe.advance %s
    pipe.acquire %p[%s]
// COPY_OTHER_STATE-NOT: Traceback
// COPY_OTHER_STATE: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.copy' of 'a' must sit between a 'pipe.acquire' and a 'pipe.commit' of the same stage state in the same block{{$}}
// COPY_OTHER_STATE-NOT: {{.}}
    pipe.copy "a"[%c0, %c0] into %p[%s1]
    pipe.commit %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- COPY_OPERAND
// the pipeline holds only a and b
// RUN: awk -v c=COPY_OPERAND 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_OPERAND
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
    pipe.acquire %p[%s]
// COPY_OPERAND-NOT: Traceback
// COPY_OPERAND: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.copy': operand 'c' is not held by the pipeline (it holds a, b){{$}}
// COPY_OPERAND-NOT: {{.}}
    pipe.copy "c"[%c0, %c0] into %p[%s]
    pipe.commit %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- COPY_MCAST_NO_RANK
// B is multicast to 2 CTAs of a 2x1 cluster: rank required
// RUN: awk -v c=COPY_MCAST_NO_RANK 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_MCAST_NO_RANK
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
    pipe.acquire %p[%s]
// COPY_MCAST_NO_RANK-NOT: Traceback
// COPY_MCAST_NO_RANK: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.copy' of 'b': a copy multicast to 2 CTA(s) needs a `rank` operand{{$}}
// COPY_MCAST_NO_RANK-NOT: {{.}}
    pipe.copy "b"[%c0, %c0] into %p[%s]
    pipe.commit %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- COPY_RANK_NO_MCAST
// A is not multicast in a 2x1 cluster: no rank
// RUN: awk -v c=COPY_RANK_NO_MCAST 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_RANK_NO_MCAST
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 2, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
    %rank = pipe.cta_rank_in_cluster
    pipe.acquire %p[%s]
// COPY_RANK_NO_MCAST-NOT: Traceback
// COPY_RANK_NO_MCAST: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.copy' of 'a': a copy multicast to 1 CTA(s) must not have a `rank` operand{{$}}
// COPY_RANK_NO_MCAST-NOT: {{.}}
    pipe.copy "a"[%c0, %c0] into %p[%s] rank %rank
    pipe.commit %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- COPY_IN_CONSUMER
// copy is a producer event
// RUN: awk -v c=COPY_IN_CONSUMER 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=COPY_IN_CONSUMER
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
    %c0 = arith.constant 0 : index
    %s = pipe.init_state %p index(0) phase(1)
// COPY_IN_CONSUMER-NOT: Traceback
// COPY_IN_CONSUMER: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.copy' is a producer event but sits in a 'consumer' role (allowed roles: producer, mainloop){{$}}
// COPY_IN_CONSUMER-NOT: {{.}}
    pipe.copy "a"[%c0, %c0] into %p[%s]
  }
}
