"""The sm_90a GEMM kernel module: the collectives configured from the kernel's spec,
one `@cute.jit` function per role generated from the IR, and the wiring.

    C[M, N] = A[M, K] @ B^T      A: (M, K) K-major; B: (N, K) K-major or (K, N);
                                 C: (M, N) row-major; fp32 accumulation

The module's entry points: `gemm_host(mA, mB, mC, stream)` (the `@cute.jit` host
function), `make_fake_args()` (shape-only arguments for `cute.compile`, no GPU needed),
`compile_kernel(options, extra_options)`.
"""

from __future__ import annotations

from pipeir.dialects import pipe
from pipeir.lower.cute.collectives import Collective
from pipeir.lower.cute.module import (
    epilogue_operands, gated_epilogue, generated_module, host_operands, role_function, roles_of,
)
from pipeir.lower.cute.schedulers import StaticPersistentScheduler
from pipeir.lower.cute.sm90.epilogue_tma_store import TmaStoreEpilogue
from pipeir.lower.cute.sm90.mainloop_tma_wgmma import TmaWgmmaMainloop
from pipeir.lower.cute.sm90.scheduler_pingpong import PingpongPersistentScheduler
from pipeir.lower.cute.sm90.scheduler_split_k import SplitKPersistentScheduler
from pipeir.lower.cute.sm90.warp_specialized import WarpSpecializedRoles
from pipeir.target import target_for


def collectives(kernel: pipe.KernelOp) -> dict[str, Collective]:
    """The kernel's collectives, configured from its spec and roles, by module constant."""
    spec = kernel.spec
    target = target_for(spec.arch)
    roles = roles_of(kernel)
    producer_warps = roles["producer"].warps.value.data
    consumer_warps = roles["consumer"].warps.value.data
    roles_collective = WarpSpecializedRoles(
        producer_warps=producer_warps,
        consumer_warps=consumer_warps,
        cluster=spec.cluster_shape,
        producer_registers=target.PRODUCER_REGISTERS,
        consumer_registers=target.CONSUMER_REGISTERS,
    )
    warpgroups = roles_collective.consumer_warpgroups
    tile_warpgroups = target.tile_warpgroups(spec)
    if spec.pingpong:
        scheduler = PingpongPersistentScheduler.of(spec, target, warpgroups)
    elif spec.split_k_count > 1:
        scheduler = SplitKPersistentScheduler.of(spec, target, warpgroups)
    else:
        scheduler = StaticPersistentScheduler.of(spec, target)
    return {
        "ROLES": roles_collective,
        "MAINLOOP": TmaWgmmaMainloop.of(spec, consumer_warpgroups=tile_warpgroups, split_k=spec.split_k_count,
                                        slab_operands=TmaWgmmaMainloop.slab_operands_of(spec),
                                        evict_first_operands=TmaWgmmaMainloop.evict_first_operands_of(spec)),
        "EPILOGUE": TmaStoreEpilogue(
            c_dtype=spec.c_dtype,
            tile=spec.tile_shape,
            epi_tile=target.epilogue_tile(spec),
            stages=target.epilogue_stages(spec),
            consumer_warpgroups=tile_warpgroups,
            store_warp=roles_collective.first_consumer_warp,
            store_teams=warpgroups // tile_warpgroups,
            operands=epilogue_operands(kernel),
            transposed=kernel.is_swap_ab,
            gated=gated_epilogue(kernel),
            read_ahead=target.EPILOGUE_READ_AHEAD,
        ),
        "SCHEDULER": scheduler,
    }


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
    operand_parameters, operand_arguments = host_operands(kernel)
    scheduler_params = [name for name, _ in parts["SCHEDULER"].KERNEL_PARAMS]
    scheduler_parameters = "".join(f", {name}: cute.Tensor" for name in scheduler_params)
    scheduler_arguments = f", *SCHEDULER.kernel_params({', '.join(scheduler_params)})" if scheduler_params else ""
    return generated_module(
        kernel, parts,
        summary=[
            f"C[M, N] = A[M, K] @ B^T on {spec.arch}: A (M, K) K-major, B {b_layout}, C (M, N) row-major,",
            f"{spec.dtype} operands, {spec.c_dtype} output, fp32 accumulation; the MMA computes {product}.",
        ],
        roles=[role_function(roles["producer"]), role_function(roles["consumer"])],
        dispatch=[
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
            *(["        scheduler.consumer_setup()"] if spec.pingpong else []),
            "        consumer(mainloop, epilogue, scheduler)",
            "        epilogue.finish()",
        ],
        host=[
            f"def gemm_host(mA: cute.Tensor, mB: cute.Tensor, mC: cute.Tensor{operand_parameters}{scheduler_parameters}, "
            "stream: cuda.CUstream):",
            f"    kernel = gemm_kernel(*MAINLOOP.kernel_params({mma_operands}), "
            f"*EPILOGUE.kernel_params(mC{operand_arguments}){scheduler_arguments})",
            "    ROLES.launch(kernel, SCHEDULER.grid(EPILOGUE.d_of(mC)), stream)",
        ],
    )
