// The optional `raster_group` property (bands of the persistent walk) survives printing
// and re-parsing in both forms, and the target's range is a located error.
// RUN: awk -v c=ROUNDTRIP 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | pipeir-opt | pipeir-opt | filecheck %s --check-prefix=ROUNDTRIP
// RUN: awk -v c=ROUNDTRIP 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | pipeir-opt --print-op-generic | pipeir-opt | filecheck %s --check-prefix=ROUNDTRIP

// ----- ROUNDTRIP
// ROUNDTRIP-LABEL: pipe.kernel @bands attributes {
// ROUNDTRIP-SAME:    raster = #pipe<raster n>, raster_group = 8 : index} {
pipe.kernel @bands attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>, raster = #pipe<raster n>, raster_group = 8 : index} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}

// ----- ZERO
// RUN: awk -v c=ZERO 'index($0, "// -----") == 1 {on = ($3 == c)} {print (on ? $0 : "")}' %s | not pipeir-opt 2>&1 | filecheck %s --check-prefix=ZERO
// ZERO-NOT: Traceback
// ZERO: {{^}}<stdin>:[[# @LINE + 2]]:{{[0-9]+}}: error: 'pipe.kernel' @k: raster_group must be an integer in 1..64, got 0{{$}}
// ZERO-NOT: {{.}}
pipe.kernel @k attributes {arch = #pipe<arch sm_90a>, a_dtype = f16, b_dtype = f16, c_dtype = f16, tile = array<i64: 128, 128, 64>, cluster = array<i64: 1, 1>, problem = array<i64: 256, 256, 256>, a_major = #pipe<major k>, b_major = #pipe<major k>, raster_group = 0 : index} {
  %p = pipe.pipeline stages(4)
  pipe.role producer warps(1) {
  ^bb0:
  }
  pipe.role consumer warps(8) {
  ^bb0:
  }
}
