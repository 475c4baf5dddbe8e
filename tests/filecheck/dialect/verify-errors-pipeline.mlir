// Verifier errors of pipe.pipeline, pipe.role, pipe.init_state and pipe.mma_wait.
// The ring depth is the target's rule and pipe.kernel reports it
// (verify-errors-kernel.mlir: STAGES_*); what a stage holds, its bytes and its
// multicast follow from the kernel and are not written in the IR.
//
// pipeir-opt stops at the first error, so `--split-input-file` would check only
// the first case (and report chunk-relative lines). Instead each case is a
// `// ----- LABEL` section whose RUN line feeds pipeir-opt this file with every
// other section blanked out (awk), so line numbers stay those of this file: each
// check pins the error's line and column as well as its message, and that the
// error is the only line printed (no Python traceback).
// The verify-errors-*.mlir files together cover every verifier rule of
// pipeir/dialects/pipe.py.

// ----- ROLE_WARPS_SM100
// warps are the target's: one consumer warpgroup on sm_100a
// RUN: awk -v c=ROLE_WARPS_SM100 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLE_WARPS_SM100
pipe.kernel @k attributes {arch = #pipe<arch sm_100a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
// ROLE_WARPS_SM100-NOT: Traceback
// ROLE_WARPS_SM100: {{^}}<stdin>:[[# @LINE + 6]]:3: error: 'pipe.role' consumer: a consumer role has 4 warp(s) on sm_100a, got 8{{$}}
// ROLE_WARPS_SM100-NOT: {{.}}
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- ROLE_KIND
// unknown role kind: the kind is an enum, another value does not parse
// RUN: awk -v c=ROLE_KIND 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLE_KIND
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
// ROLE_KIND-NOT: Traceback
// ROLE_KIND: {{^}}<stdin>:[[# @LINE + 2]]:{{[0-9]+}}: error: Expected `producer`, `consumer`, or `mainloop`.{{$}}
// ROLE_KIND-NOT: {{.}}
  pipe.role loader warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- ROLE_WARPS
// a role runs on the warps its target gives it (one TMA warp for the producer)
// RUN: awk -v c=ROLE_WARPS 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLE_WARPS
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
// ROLE_WARPS-NOT: Traceback
// ROLE_WARPS: {{^}}<stdin>:[[# @LINE + 2]]:3: error: 'pipe.role' producer: a producer role has 1 warp(s) on sm_90a, got 0{{$}}
// ROLE_WARPS-NOT: {{.}}
  pipe.role producer warps(0) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- ROLE_OUTSIDE_KERNEL
// pipe.role lives in a pipe.kernel
// RUN: awk -v c=ROLE_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ROLE_OUTSIDE_KERNEL
// ROLE_OUTSIDE_KERNEL-NOT: Traceback
// ROLE_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.role' expects parent op 'pipe.kernel'{{$}}
// ROLE_OUTSIDE_KERNEL-NOT: {{.}}
pipe.role producer warps(1) {
^bb0:
}

// ----- PIPELINE_OUTSIDE_KERNEL
// pipe.pipeline lives in a pipe.kernel
// RUN: awk -v c=PIPELINE_OUTSIDE_KERNEL 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PIPELINE_OUTSIDE_KERNEL
// PIPELINE_OUTSIDE_KERNEL-NOT: Traceback
// PIPELINE_OUTSIDE_KERNEL: {{^}}<stdin>:[[# @LINE + 2]]:1: error: 'pipe.pipeline' expects parent op 'pipe.kernel'{{$}}
// PIPELINE_OUTSIDE_KERNEL-NOT: {{.}}
%p = pipe.pipeline stages(4)

// ----- INIT_INDEX
// the first stage index is below the stage count
// RUN: awk -v c=INIT_INDEX 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=INIT_INDEX
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
// INIT_INDEX-NOT: Traceback
// INIT_INDEX: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.init_state': stage index 4 is out of range for a 4-stage pipeline{{$}}
// INIT_INDEX-NOT: {{.}}
    %s = pipe.init_state %p index(4) phase(1)
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- INIT_PHASE
// a phase is one bit
// RUN: awk -v c=INIT_PHASE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=INIT_PHASE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
// INIT_PHASE-NOT: Traceback
// INIT_PHASE: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.init_state': phase must be 0 or 1, got 2{{$}}
// INIT_PHASE-NOT: {{.}}
    %s = pipe.init_state %p index(0) phase(2)
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- MMA_WAIT_NEGATIVE
// pipe.mma_wait leaves zero or more batches in flight
// RUN: awk -v c=MMA_WAIT_NEGATIVE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=MMA_WAIT_NEGATIVE
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
// MMA_WAIT_NEGATIVE-NOT: Traceback
// MMA_WAIT_NEGATIVE: {{^}}<stdin>:[[# @LINE + 2]]:5: error: 'pipe.mma_wait': mma_wait pending(-1): batches left in flight cannot be negative{{$}}
// MMA_WAIT_NEGATIVE-NOT: {{.}}
    pipe.mma_wait pending(-1)
  }
}
