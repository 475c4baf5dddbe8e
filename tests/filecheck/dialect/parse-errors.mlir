// Malformed IR: a located one-line parse error, never a Python traceback.
//
// pipeir-opt stops at the first error, so `--split-input-file` would check only
// the first case (and report chunk-relative lines). Instead each case is a
// `// ----- LABEL` section whose RUN line feeds pipeir-opt this file with every
// other section blanked out (awk), so line numbers stay those of this file: each
// check pins the error's line and column as well as its message, and that the
// error is the only line printed (no Python traceback).

// ----- PARSE_ERROR
// malformed IR: one located line, no traceback
// RUN: awk -v c=PARSE_ERROR 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PARSE_ERROR
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %s = pipe.init_state %p index(0) phase(0)
    pipe.wait %p[%s
// PARSE_ERROR-NOT: Traceback
// PARSE_ERROR: {{^}}<stdin>:[[# @LINE + 2]]:5: error: Expected ']'{{$}}
// PARSE_ERROR-NOT: {{.}}
    pipe.mma %p[%s]
    pipe.mma_wait pending(0)
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- PARSE_UNREGISTERED
// an op the pipe dialect does not define
// RUN: awk -v c=PARSE_UNREGISTERED 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PARSE_UNREGISTERED
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
    %s = pipe.init_state %p index(0) phase(0)
// PARSE_UNREGISTERED-NOT: Traceback
// PARSE_UNREGISTERED: {{^}}<stdin>:[[# @LINE + 2]]:{{[0-9]+}}: error: Operation pipe.fence is not registered{{$}}
// PARSE_UNREGISTERED-NOT: {{.}}
    pipe.fence %p[%s]
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- PARSE_BAD_TYPE
// a type the pipe dialect does not define
// RUN: awk -v c=PARSE_BAD_TYPE 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=PARSE_BAD_TYPE
// PARSE_BAD_TYPE-NOT: Traceback
// PARSE_BAD_TYPE: {{^}}<stdin>:[[# @LINE + 2]]:{{[0-9]+}}: error: 'pipe.ring' is not registered{{$}}
// PARSE_BAD_TYPE-NOT: {{.}}
func.func @f(%p: !pipe.ring, %s: !pipe.state) {
  func.return
}
