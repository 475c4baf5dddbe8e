"""The sm_90a GEMM kernel module: the collectives configured from the kernel's spec,
one `@cute.jit` function per role generated from the IR, and the wiring.

    C[M, N] = A[M, K] @ B^T      A: (M, K) K-major; B: (N, K) K-major or (K, N);
                                 C: (M, N) row-major; fp32 accumulation

The module's entry points: `gemm_host(mA, mB, mC, stream)` (the `@cute.jit` host
function), `make_fake_args()` (shape-only arguments for `cute.compile`, no GPU needed),
`compile_kernel(options, extra_options)`.
"""

from __future__ import annotations

import json

from pipeir.dialects import epi, pipe
from pipeir.lower.cute.collectives import Collective
from pipeir.lower.cute.emit import ROLE_ARGUMENTS, RoleEmitter, lowering_error
from pipeir.lower.cute.schedulers import StaticPersistentScheduler
from pipeir.lower.cute.sm90.epilogue_tma_store import TmaStoreEpilogue, operand_param
from pipeir.lower.cute.sm90.mainloop_tma_wgmma import TmaWgmmaMainloop
from pipeir.lower.cute.sm90.warp_specialized import WarpSpecializedRoles
from pipeir.target import target_for


def collectives(kernel: pipe.KernelOp) -> dict[str, Collective]:
    """The kernel's collectives, configured from its spec and roles, by module constant."""
    spec = kernel.spec
    target = target_for(spec.arch)
    roles = {role.kind.data: role for role in kernel.roles}
    if "mainloop" in roles:
        raise lowering_error(
            roles["mainloop"],
            "kernels whose producer and consumer share warps are not lowered; build the "
            "warp-specialized form",
        )
    producer_warps = roles["producer"].warps.value.data
    consumer_warps = roles["consumer"].warps.value.data
    roles_collective = WarpSpecializedRoles(
        producer_warps=producer_warps,
        consumer_warps=consumer_warps,
        cluster=spec.cluster_shape,
        producer_registers=target.PRODUCER_REGISTERS,
        consumer_registers=target.CONSUMER_REGISTERS,
    )
    cluster_m, cluster_n = spec.cluster_shape
    return {
        "ROLES": roles_collective,
        "MAINLOOP": TmaWgmmaMainloop(
            a_dtype=spec.dtype,
            b_dtype=spec.dtype,
            b_major=spec.b_major,
            tile=spec.tile_shape,
            cluster=spec.cluster_shape,
            stages=spec.stage_count,
            consumer_warpgroups=roles_collective.consumer_warpgroups,
            k_static=spec.k,
        ),
        "EPILOGUE": TmaStoreEpilogue(
            c_dtype=spec.c_dtype,
            tile=spec.tile_shape,
            epi_tile=target.epilogue_tile(spec),
            stages=target.epilogue_stages(spec),
            consumer_warpgroups=roles_collective.consumer_warpgroups,
            store_warp=roles_collective.first_consumer_warp,
            operands=tuple(
                (op.operand_name, str(op.broadcast_kind), op.dtype_name) for op in epi.declared_operands(kernel)
            ),
            transposed=kernel.is_swap_ab,
        ),
        "SCHEDULER": StaticPersistentScheduler(
            tile=spec.tile_shape,
            cluster=spec.cluster_shape,
            raster=spec.raster_order,
            group=spec.raster_group_size,
            max_clusters=target.SM_COUNT // (cluster_m * cluster_n),
        ),
    }


def printable_symbol(name: str) -> str:
    """`name` as MLIR prints a symbol: bare when it is an identifier, else quoted with every
    quote and backslash escaped (so it cannot end the generated docstring)."""
    return name if name.isidentifier() else json.dumps(name)


def role_function(role: pipe.RoleOp) -> list[str]:
    """The role's `@cute.jit` function, after the epilogue bodies it calls."""
    kind = role.kind.data
    emitter = RoleEmitter(role)
    body = emitter.lower()
    bodies = []
    for source, name in emitter.epilogue_functions.items():
        bodies += [source.replace("{name}", name), "", ""]
    return [
        *bodies,
        "@cute.jit",
        f"def {kind}({', '.join(ROLE_ARGUMENTS)}):",
        f'    """`pipe.role "{kind}" warps({role.warps.value.data})`."""',
        *body,
    ]


def kernel_signature(parts: dict[str, Collective]) -> list[str]:
    lines = []
    for constant, collective in parts.items():
        if collective.KERNEL_PARAMS:
            lines.append(f"    # {constant.lower()}: {type(collective).__name__}")
            lines += [f"    {name}: {annotation}," for name, annotation in collective.KERNEL_PARAMS]
    return lines


def params(collective: Collective) -> str:
    return ", ".join(name for name, _ in collective.KERNEL_PARAMS)


def lower_kernel(kernel: pipe.KernelOp) -> str:
    parts = collectives(kernel)
    spec = kernel.spec
    roles = {role.kind.data: role for role in kernel.roles}
    b_layout = "(N, K) K-major" if spec.b_major == "k" else "(K, N) row-major"
    # Under swap_ab the MMA's A is the product's B and its B the product's A.
    mma_operands = "mB, mA" if kernel.is_swap_ab else "mA, mB"
    product = (
        "C^T = B @ A^T (swap_ab: N fills the MMA's M; the epilogue stores C^T's tiles into C)"
        if kernel.is_swap_ab else "C = A @ B^T"
    )
    imports = sorted({type(c).import_line() for c in parts.values()})
    operands = [operand_param(op.operand_name) for op in epi.declared_operands(kernel)]
    if any(op.computation is not None for op in kernel.walk() if isinstance(op, pipe.EpilogueOp)):
        imports.append("from pipeir.lower.cute import epilogue_math")
    host_operands = "".join(f", {name}: cute.Tensor" for name in operands)
    operand_arguments = "".join(f", {name}" for name in operands)
    lines = [
        f'"""Generated by pipeir from `pipe.kernel @{printable_symbol(spec.name)}` -- do not edit.',
        "",
        f"C[M, N] = A[M, K] @ B^T on {spec.arch}: A (M, K) K-major, B {b_layout}, C (M, N) row-major,",
        f"{spec.dtype} operands, {spec.c_dtype} output, fp32 accumulation; the MMA computes {product}.",
        '"""',
        "",
        "import cuda.bindings.driver as cuda",
        "",
        "import cutlass",
        "import cutlass.cute as cute",
        "",
        "from pipeir.lower.cute.host import compile_gemm, fake_gemm_arguments",
        *imports,
        "",
        f"PROBLEM = {tuple(None if d == pipe.DYNAMIC else d for d in kernel.product_shape)}  # (M, N, K); None: known at run time",
        *[f"{constant} = {collective.constructor()}" for constant, collective in parts.items()],
        "",
        "",
        *role_function(roles["producer"]),
        "",
        "",
        *role_function(roles["consumer"]),
        "",
        "",
        "@cute.kernel",
        "def gemm_kernel(",
        *kernel_signature(parts),
        "):",
        "    smem = cutlass.memory.SmemAllocator()",
        f"    mainloop = MAINLOOP.device(smem, {params(parts['MAINLOOP'])})",
        f"    epilogue = EPILOGUE.device(smem, {params(parts['EPILOGUE'])})",
        "    scheduler = SCHEDULER.device(tma_tensor_c)",
        "    ROLES.barriers_initialised()",
        "    ROLES.cluster_sync()",
        "    warp = ROLES.warp()",
        "    if ROLES.in_producer_warpgroup(warp):",
        "        ROLES.enter_producer()",
        "        if ROLES.is_producer_warp(warp):",
        "            mainloop.prefetch_descriptors()",
        "            epilogue.prefetch_descriptor()",
        "            producer(mainloop, epilogue, scheduler)",
        "    else:",
        "        ROLES.enter_consumer()",
        "        mainloop.consumer_setup()",
        "        epilogue.consumer_setup(mainloop.tiled_mma, mainloop.accumulators)",
        "        consumer(mainloop, epilogue, scheduler)",
        "        epilogue.finish()",
        "",
        "",
        "@cute.jit",
        f"def gemm_host(mA: cute.Tensor, mB: cute.Tensor, mC: cute.Tensor{host_operands}, stream: cuda.CUstream):",
        f"    kernel = gemm_kernel(*MAINLOOP.kernel_params({mma_operands}), *EPILOGUE.kernel_params(mC{operand_arguments}))",
        "    ROLES.launch(kernel, SCHEDULER.grid(EPILOGUE.d_of(mC)), stream)",
        "",
        "",
        "def make_fake_args():",
        '    """Shape-only arguments for cute.compile (no GPU needed)."""',
        "    return fake_gemm_arguments(MAINLOOP, EPILOGUE, PROBLEM)",
        "",
        "",
        'def compile_kernel(options="--enable-tvm-ffi", extra_options=""):',
        "    return compile_gemm(gemm_host, make_fake_args(), options, extra_options)",
    ]
    source = "\n".join(lines) + "\n"
    compile(source, f"<pipeir {spec.name}>", "exec")  # a generator bug shows here, not on the GPU
    return source
