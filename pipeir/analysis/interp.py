"""Execute `pipe` kernels for one launch and record what each role does.

The executor is xDSL's interpreter with the `scf`, `arith` and `builtin`
functions plus `PipeFunctions` below, which gives every `pipe` op its meaning
for a launch: the problem sizes M, N, K, the persistent grid size, and the
CTA's id and cluster rank. A `!pipe.state` value is an immutable `State`
(index, phase, count). Pipeline events are not synchronised here: each role
runs to its end on its own and leaves a trace, an ordered list of `Event`s.
pipeir.analysis.protocol replays the traces against each other.

Launch semantics (the work-tile ops are the lowering's, from
pipeir.target.schedule, the one definition of the persistent schedule):
  * k_tile_count = ceil(K / tile_k);
  * work_tile_count = the number of cluster tiles, ceil(tiles_m / cluster_m) *
    ceil(tiles_n / cluster_n) with tiles_m = ceil(M / tile_m), tiles_n =
    ceil(N / tile_n);
  * the persistent schedule: a grid is a whole number of clusters, cluster c
    being CTAs c * cluster_size .. (c + 1) * cluster_size - 1;
    first_work_tile = the CTA's cluster index, cta // cluster_size;
    work_tile_stride = the number of clusters, grid // cluster_size;
  * tile_coords(t) = schedule.tile_coords: cluster tile t walked along the
    kernel's raster order (M by default), then the output tile at the CTA's
    rank inside it, which lies outside M x N where a cluster tile overhangs;
  * k_tile_fits(k) = k * tile_k < K, k_tile_full(k) = (k + 1) * tile_k <= K,
    mn_tile_full(m, n) = (m + 1) * tile_m <= M and (n + 1) * tile_n <= N;
  * cta_rank_in_cluster = the launch's rank (by default cta % cluster size).

Split-K (`split_k` S > 1, pipeir.target.schedule): work_tile_count counts work units
(S per cluster tile), tile_coords gives a unit's output tile and k_split its split;
k_tile_count, k_tile_fits and k_tile_full see the unit's slice of K, ceil(k_tiles / S)
whole k-tiles; a copy records its split. `pipe.split_reduce` records the unit's partial
and returns whether the unit completes its tile's reduction: in this semantics the
splits of a tile arrive in split order, so split S - 1 does (on the GPU any one split
may be last; the reduction's sum, in split order, is the same whichever).

Pingpong (`pingpong` kernels): the consumer role runs once per MMA warpgroup (its warps
/ 4), each run a trace of its own (`trace_name`): `pipe.consumer_warpgroup` is the run's
warpgroup w, and `pipe.first_work_tile warpgroup` / `pipe.work_tile_stride warpgroup`
give it the CTA's work tiles w, w + W, ... of W warpgroups (first + w * stride, stride *
W). `pipe.advance %s by(%n)` advances n times. `pipe.order_wait` / `pipe.order_signal`
record their phase; pipeir.analysis.protocol replays the turns.

The `epi` ops (an epilogue's computation) are not part of a launch's trace: a
`pipe.epilogue` records one event whatever it computes. What they compute is
`EpilogueFunctions` below, run by `evaluate_epilogue` on float32 torch tensors.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType, ModuleOp, i1
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    impl,
    impl_terminator,
    register_impls,
)
from xdsl.interpreters.arith import ArithFunctions
from xdsl.interpreters.builtin import BuiltinFunctions
from xdsl.interpreters.scf import ScfFunctions
from xdsl.ir import Operation, SSAValue

from pipeir.dialects import epi, pipe
from pipeir.ir import PipeirError, location_of
from pipeir.target import schedule
from pipeir.target.base import Activation

OP_BUDGET = 2_000_000
"""Most operations one launch may execute: a guard against loops that do not
end in reasonable time (a wrong bound, a huge static K)."""


@dataclass(frozen=True)
class State:
    """A `!pipe.state` value: stage `index`, `phase`, and `count`, the number of
    advances since the `init_state` it comes from (`origin`)."""

    index: int
    phase: int
    count: int
    stages: int = field(compare=False, repr=False)
    origin: pipe.InitStateOp = field(compare=False, repr=False)

    def advanced(self) -> State:
        index = self.index + 1
        if index < self.stages:
            return State(index, self.phase, self.count + 1, self.stages, self.origin)
        return State(0, self.phase ^ 1, self.count + 1, self.stages, self.origin)


@dataclass(frozen=True)
class Event:
    """One pipeline event of a role, in the role's program order.

    `kind` is the op name without `pipe.`: acquire, copy, commit,
    producer_tail, wait, mma, mma_wait, release, acc_init, split_reduce, epilogue,
    order_wait, order_signal. `tile` is the work
    tile (m, n): an epilogue's operands, else the coordinates the role's last
    `tile_coords` produced (None before the first). A copy also has its
    `operand`, `operand_tile` (the tile row m of A or column n of B), `k_tile`
    and `rank` (None when not multicast); an epilogue has `masked`, an
    mma_wait `pending`."""

    kind: str
    op: Operation = field(repr=False)
    tile: tuple[int, int] | None
    state: State | None = None
    split: int | None = None
    """A copy's or split_reduce's K split (split-K kernels)."""
    operand: str | None = None
    operand_tile: int | None = None
    k_tile: int | None = None
    rank: int | None = None
    masked: bool | None = None
    pending: int | None = None
    order_phase: str | None = None
    """An order_wait's or order_signal's phase (pingpong kernels)."""

    @property
    def stage(self) -> int | None:
        return None if self.state is None else self.state.index

    @property
    def phase(self) -> int | None:
        return None if self.state is None else self.state.phase

    @property
    def location(self) -> str:
        return location_of(self.op)


@dataclass(frozen=True)
class Launch:
    """Problem sizes and the position of the CTA that runs the kernel."""

    m: int
    n: int
    k: int
    grid: int = 1
    cta: int = 0
    rank: int = 0

    def describe(self) -> str:
        return f"M={self.m} N={self.n} K={self.k}, CTA {self.cta} of {self.grid} (rank {self.rank})"


@dataclass(frozen=True)
class Geometry:
    """What a launch of a kernel works on: its tile counts and its CTA's place in the
    persistent schedule (pipeir.target.schedule)."""

    tile_shape: tuple[int, int, int]
    cluster_shape: tuple[int, int]
    raster: str
    raster_group: int
    launch: Launch
    splits: int = 1
    """K slices per output tile (split-K)."""

    @classmethod
    def of(cls, kernel: pipe.KernelOp, launch: Launch) -> Geometry:
        return cls(kernel.tile_shape, kernel.cluster_shape, kernel.raster_order, kernel.raster_group_size, launch,
                   kernel.split_k_count)

    @property
    def cluster_size(self) -> int:
        cluster_m, cluster_n = self.cluster_shape
        return cluster_m * cluster_n

    @property
    def tiles_m(self) -> int:
        return pipe.ceil_div(self.launch.m, self.tile_shape[0])

    @property
    def tiles_n(self) -> int:
        return pipe.ceil_div(self.launch.n, self.tile_shape[1])

    @property
    def k_tiles(self) -> int:
        """k-tiles of a work unit: of K, or of its slice under split-K."""
        return schedule.slice_k_tiles(pipe.ceil_div(self.launch.k, self.tile_shape[2]), self.splits)

    @property
    def slice_k(self) -> int:
        """The K a work unit's k-tile predicates see: K, or its slice's whole k-tiles."""
        return self.launch.k if self.splits == 1 else self.k_tiles * self.tile_shape[2]

    @property
    def work_tiles(self) -> int:
        """Linear work tiles (work units under split-K)."""
        return schedule.work_unit_count(self.tiles_m, self.tiles_n, *self.cluster_shape, self.splits)

    @property
    def first_work_tile(self) -> int:
        return self.launch.cta // self.cluster_size

    @property
    def work_tile_stride(self) -> int:
        return self.launch.grid // self.cluster_size

    def tile_coords(self, tile: int) -> tuple[int, int]:
        return schedule.tile_coords(
            tile, self.launch.rank, self.tiles_m, self.tiles_n, *self.cluster_shape, self.raster, self.raster_group,
            splits=self.splits,
        )

    def split_of(self, tile: int) -> int:
        return schedule.split_of(tile, self.tiles_m, self.tiles_n, *self.cluster_shape)

    def output_tiles(self) -> list[tuple[int, int]]:
        """The output tile of each work tile (unit) the CTA computes, in order."""
        return [tile for tile, _ in self.work_units()]

    def work_units(self) -> list[tuple[tuple[int, int], int]]:
        """(output tile, K split) of each work tile the CTA computes, in order (split 0
        without split-K)."""
        tiles = range(self.first_work_tile, self.work_tiles, self.work_tile_stride)
        return [(self.tile_coords(tile), self.split_of(tile)) for tile in tiles]

    def tile_is_full(self, m: int, n: int) -> bool:
        tile_m, tile_n, _ = self.tile_shape
        return (m + 1) * tile_m <= self.launch.m and (n + 1) * tile_n <= self.launch.n


KernelTrace = dict[str, list[Event]]
"""Events of each role of a kernel, keyed by `trace_name`."""

WARPGROUP_SEPARATOR = ".wg"
WARPS_PER_WARPGROUP = 4


def trace_name(kind: str, warpgroup: int | None = None) -> str:
    """A role's key in a KernelTrace: its kind, and under pingpong a consumer
    warpgroup's index (`consumer.wg1`)."""
    return kind if warpgroup is None else f"{kind}{WARPGROUP_SEPARATOR}{warpgroup}"


def parse_trace_name(name: str) -> tuple[str, int | None]:
    """(kind, warpgroup or None) of a KernelTrace key."""
    kind, _, warpgroup = name.partition(WARPGROUP_SEPARATOR)
    return kind, int(warpgroup) if warpgroup else None


def warpgroup_runs(kernel: pipe.KernelOp, role: pipe.RoleOp) -> list[int | None]:
    """The warpgroups that run `role` each on its own work tiles: every MMA warpgroup of
    a pingpong kernel's consumer, else [None] (the role's warps run it together)."""
    if kernel.is_pingpong and role.kind.data == pipe.RoleKind.CONSUMER:
        return list(range(role.warps.value.data // WARPS_PER_WARPGROUP))
    return [None]



def _is_index(value: SSAValue) -> bool:
    return isinstance(value.type, IndexType)


@register_impls
class KernelArithFunctions(ArithFunctions):
    """xDSL's arith functions, fast on the index and i1 values kernels compute.

    xDSL's generic implementations re-derive IRDL type constraints on every
    call, which made them most of the time of a simulation. Here constants are
    decoded once per op and index arithmetic runs on Python ints directly:
    kernel index values are sizes, counts and coordinates, far from 64-bit
    wrap-around. i1 values are bools. Other types, and unsigned comparisons
    (which read negative values as large ones), take xDSL's path."""

    def __init__(self):
        self._constants: dict[Operation, PythonValues] = {}

    @impl(arith.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: arith.ConstantOp, args: PythonValues):
        value = self._constants.get(op)
        if value is None:
            (value,) = ArithFunctions.run_constant(self, interpreter, op, args).values
            value = self._constants[op] = (bool(value) if op.result.type == i1 else value,)
        return value

    @impl(arith.AddiOp)
    def run_addi(self, interpreter: Interpreter, op: arith.AddiOp, args: PythonValues):
        if _is_index(op.result):
            return (args[0] + args[1],)
        return ArithFunctions.run_addi(self, interpreter, op, args).values

    @impl(arith.SubiOp)
    def run_subi(self, interpreter: Interpreter, op: arith.SubiOp, args: PythonValues):
        if _is_index(op.result):
            return (args[0] - args[1],)
        return ArithFunctions.run_subi(self, interpreter, op, args).values

    @impl(arith.MuliOp)
    def run_muli(self, interpreter: Interpreter, op: arith.MuliOp, args: PythonValues):
        if _is_index(op.result):
            return (args[0] * args[1],)
        return ArithFunctions.run_muli(self, interpreter, op, args).values

    @impl(arith.AndIOp)
    def run_andi(self, interpreter: Interpreter, op: arith.AndIOp, args: PythonValues):
        if op.result.type == i1:
            return (bool(args[0]) and bool(args[1]),)
        if _is_index(op.result):
            return (args[0] & args[1],)
        return ArithFunctions.run_andi(self, interpreter, op, args).values

    @impl(arith.OrIOp)
    def run_ori(self, interpreter: Interpreter, op: arith.OrIOp, args: PythonValues):
        if op.result.type == i1:
            return (bool(args[0]) or bool(args[1]),)
        if _is_index(op.result):
            return (args[0] | args[1],)
        return ArithFunctions.run_ori(self, interpreter, op, args).values

    @impl(arith.XOrIOp)
    def run_xori(self, interpreter: Interpreter, op: arith.XOrIOp, args: PythonValues):
        if op.result.type == i1:
            return (bool(args[0]) != bool(args[1]),)
        if _is_index(op.result):
            return (args[0] ^ args[1],)
        return ArithFunctions.run_xori(self, interpreter, op, args).values

    @impl(arith.CmpiOp)
    def run_cmpi(self, interpreter: Interpreter, op: arith.CmpiOp, args: PythonValues):
        predicate = op.predicate.value.data
        if _is_index(op.lhs) and predicate < len(_SIGNED_COMPARISONS):
            return (_SIGNED_COMPARISONS[predicate](args[0], args[1]),)
        return ArithFunctions.run_cmpi(self, interpreter, op, args).values


_SIGNED_COMPARISONS = (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge)
"""arith.cmpi predicates 0..5: eq, ne, slt, sle, sgt, sge."""


@register_impls
class PipeFunctions(InterpreterFunctions):
    """The meaning of every `pipe` op for one launch of one kernel.

    Running a `pipe.kernel` runs each of its roles and leaves their events in
    `traces`."""

    def __init__(self, kernel: pipe.KernelOp, launch: Launch):
        self.kernel = kernel
        self.launch = launch
        self.geometry = Geometry.of(kernel, launch)
        self.tile_k = kernel.tile_shape[2]
        self.traces: KernelTrace = {}
        self._events: list[Event] = []
        self._tile: tuple[int, int] | None = None
        self._warpgroup: int | None = None
        self._warpgroups = 1
        """The warpgroup running the role, and how many run it (pingpong consumers)."""

    def _record(self, kind: str, op: Operation, **details: Any) -> PythonValues:
        self._events.append(Event(kind, op, self._tile, **details))
        return ()

    @impl(pipe.KernelOp)
    def run_kernel(self, interpreter: Interpreter, op: pipe.KernelOp, args: PythonValues):
        return interpreter.run_ssacfg_region(op.body, (), "kernel")

    @impl(pipe.RoleOp)
    def run_role(self, interpreter: Interpreter, op: pipe.RoleOp, args: PythonValues):
        runs = warpgroup_runs(self.kernel, op)
        for warpgroup in runs:
            self._events, self._tile = [], None
            self._warpgroup, self._warpgroups = warpgroup, len(runs)
            self.traces[trace_name(op.kind.data, warpgroup)] = self._events
            interpreter.run_ssacfg_region(op.body, (), op.kind.data)
        return ()

    @impl(pipe.PipelineOp)
    def run_pipeline(self, interpreter: Interpreter, op: pipe.PipelineOp, args: PythonValues):
        # Events name their pipeline through their ops; the value only has to exist.
        return (op,)

    @impl(pipe.InitStateOp)
    def run_init_state(
        self, interpreter: Interpreter, op: pipe.InitStateOp, args: PythonValues
    ):
        (pipeline,) = args
        return (State(op.index.value.data, op.phase.value.data, 0, pipeline.stage_count, op),)

    @impl(pipe.AdvanceOp)
    def run_advance(self, interpreter: Interpreter, op: pipe.AdvanceOp, args: PythonValues):
        state, *count = args
        steps = count[0] if count else 1
        if steps < 0:
            raise PipeirError(location_of(op), f"'pipe.advance' by {steps} stages: a state only moves forward")
        for _ in range(steps):
            state = state.advanced()
        return (state,)

    @impl(pipe.AcquireOp)
    def run_acquire(self, interpreter: Interpreter, op: pipe.AcquireOp, args: PythonValues):
        return self._record("acquire", op, state=args[1])

    @impl(pipe.CopyOp)
    def run_copy(self, interpreter: Interpreter, op: pipe.CopyOp, args: PythonValues):
        operand_tile, k_tile, _, state = args[:4]
        rank = args[4] if op.rank is not None else None
        return self._record(
            "copy",
            op,
            state=state,
            operand=op.operand.data,
            operand_tile=operand_tile,
            k_tile=k_tile,
            rank=rank,
            split=args[-1] if op.split is not None else None,
        )

    @impl(pipe.CommitOp)
    def run_commit(self, interpreter: Interpreter, op: pipe.CommitOp, args: PythonValues):
        return self._record("commit", op, state=args[1])

    @impl(pipe.ProducerTailOp)
    def run_producer_tail(
        self, interpreter: Interpreter, op: pipe.ProducerTailOp, args: PythonValues
    ):
        return self._record("producer_tail", op, state=args[1])

    @impl(pipe.WaitOp)
    def run_wait(self, interpreter: Interpreter, op: pipe.WaitOp, args: PythonValues):
        return self._record("wait", op, state=args[1])

    @impl(pipe.MmaOp)
    def run_mma(self, interpreter: Interpreter, op: pipe.MmaOp, args: PythonValues):
        return self._record("mma", op, state=args[1])

    @impl(pipe.MmaWaitOp)
    def run_mma_wait(self, interpreter: Interpreter, op: pipe.MmaWaitOp, args: PythonValues):
        return self._record("mma_wait", op, pending=op.pending_count)

    @impl(pipe.ReleaseOp)
    def run_release(self, interpreter: Interpreter, op: pipe.ReleaseOp, args: PythonValues):
        return self._record("release", op, state=args[1])

    @impl(pipe.AccInitOp)
    def run_acc_init(self, interpreter: Interpreter, op: pipe.AccInitOp, args: PythonValues):
        return self._record("acc_init", op)

    @impl(pipe.EpilogueOp)
    def run_epilogue(self, interpreter: Interpreter, op: pipe.EpilogueOp, args: PythonValues):
        self._events.append(
            Event("epilogue", op, (args[0], args[1]), masked=bool(op.masked.value.data))
        )
        return ()

    @impl(pipe.SplitReduceOp)
    def run_split_reduce(self, interpreter: Interpreter, op: pipe.SplitReduceOp, args: PythonValues):
        m, n, split = args
        self._events.append(Event("split_reduce", op, (m, n), split=split))
        return (split == self.geometry.splits - 1,)

    @impl(pipe.KSplitOp)
    def run_k_split(self, interpreter: Interpreter, op: pipe.KSplitOp, args: PythonValues):
        return (self.geometry.split_of(args[0]),)

    @impl(epi.OperandOp)
    def run_operand(self, interpreter: Interpreter, op: epi.OperandOp, args: PythonValues):
        return ()  # a declaration: the kernel's argument list, not a launch event

    @impl(pipe.ClusterRankOp)
    def run_cluster_rank(
        self, interpreter: Interpreter, op: pipe.ClusterRankOp, args: PythonValues
    ):
        return (self.launch.rank,)

    @impl(pipe.KTileCountOp)
    def run_k_tile_count(
        self, interpreter: Interpreter, op: pipe.KTileCountOp, args: PythonValues
    ):
        return (self.geometry.k_tiles,)

    @impl(pipe.WorkTileCountOp)
    def run_work_tile_count(
        self, interpreter: Interpreter, op: pipe.WorkTileCountOp, args: PythonValues
    ):
        return (self.geometry.work_tiles,)

    @impl(pipe.FirstWorkTileOp)
    def run_first_work_tile(
        self, interpreter: Interpreter, op: pipe.FirstWorkTileOp, args: PythonValues
    ):
        if op.per_warpgroup:
            return (self.geometry.first_work_tile + self._warpgroup * self.geometry.work_tile_stride,)
        return (self.geometry.first_work_tile,)

    @impl(pipe.WorkTileStrideOp)
    def run_work_tile_stride(
        self, interpreter: Interpreter, op: pipe.WorkTileStrideOp, args: PythonValues
    ):
        return (self.geometry.work_tile_stride * (self._warpgroups if op.per_warpgroup else 1),)

    @impl(pipe.ConsumerWarpgroupOp)
    def run_consumer_warpgroup(
        self, interpreter: Interpreter, op: pipe.ConsumerWarpgroupOp, args: PythonValues
    ):
        return (self._warpgroup,)

    @impl(pipe.OrderWaitOp)
    def run_order_wait(self, interpreter: Interpreter, op: pipe.OrderWaitOp, args: PythonValues):
        return self._record("order_wait", op, order_phase=str(op.phase_kind))

    @impl(pipe.OrderSignalOp)
    def run_order_signal(self, interpreter: Interpreter, op: pipe.OrderSignalOp, args: PythonValues):
        return self._record("order_signal", op, order_phase=str(op.phase_kind))

    @impl(pipe.TileCoordsOp)
    def run_tile_coords(self, interpreter: Interpreter, op: pipe.TileCoordsOp, args: PythonValues):
        (tile,) = args
        self._tile = self.geometry.tile_coords(tile)
        return self._tile

    @impl(pipe.KTileFitsOp)
    def run_k_tile_fits(self, interpreter: Interpreter, op: pipe.KTileFitsOp, args: PythonValues):
        return (op.holds(args[0], self.tile_k, self.geometry.slice_k),)

    @impl(pipe.KTileFullOp)
    def run_k_tile_full(self, interpreter: Interpreter, op: pipe.KTileFullOp, args: PythonValues):
        return (op.holds(args[0], self.tile_k, self.geometry.slice_k),)

    @impl(pipe.MnTileFullOp)
    def run_mn_tile_full(
        self, interpreter: Interpreter, op: pipe.MnTileFullOp, args: PythonValues
    ):
        return (self.geometry.tile_is_full(*args),)


class _OpBudget(Interpreter.Listener):
    """Remembers the op being executed (to locate failures) and stops runaway loops:
    a loop whose trip count alone exceeds what is left of the budget is stopped
    before its first iteration, not after millions of interpreted operations."""

    def __init__(self, budget: int):
        self.remaining = budget
        self.current: Operation | None = None

    def will_interpret_op(self, op: Operation, args: PythonValues) -> None:
        self.current = op
        self.remaining -= 1
        if self.remaining < 0:
            raise PipeirError(
                location_of(op),
                f"simulation stopped after {OP_BUDGET} operations: a loop runs too long "
                "for this launch",
            )
        if isinstance(op, scf.ForOp):
            lower, upper, step = args[:3]
            trips = -(-(upper - lower) // step) if step > 0 and upper > lower else 0
            if trips > self.remaining:
                raise PipeirError(
                    location_of(op),
                    f"loop runs {trips} iterations, more than the simulation's budget of "
                    f"{OP_BUDGET} operations for this launch",
                )


def kernel_of(module: ModuleOp | pipe.KernelOp) -> pipe.KernelOp:
    """`module` itself if it is a kernel, else the single kernel it holds."""
    if isinstance(module, pipe.KernelOp):
        return module
    kernels = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
    if len(kernels) != 1:
        raise PipeirError(
            location_of(module),
            f"expected exactly one 'pipe.kernel', found {len(kernels)}",
        )
    return kernels[0]


def make_launch(
    kernel: pipe.KernelOp,
    m: int | None = None,
    n: int | None = None,
    k: int | None = None,
    *,
    grid: int = 1,
    cta: int = 0,
    rank: int | None = None,
) -> Launch:
    """Check the launch parameters against `kernel`: a static dimension may be
    omitted or must equal the kernel's; a dynamic one is required."""
    sizes = []
    for dim, given, static in zip("MNK", (m, n, k), kernel.problem_shape):
        if static == pipe.DYNAMIC:
            if given is None:
                raise PipeirError(location_of(kernel), f"{dim} is dynamic: give its size")
            if given <= 0:
                raise PipeirError(location_of(kernel), f"{dim} must be positive, got {given}")
            sizes.append(given)
        elif given is not None and given != static:
            raise PipeirError(
                location_of(kernel), f"{dim} is static ({static}) but the launch gives {given}"
            )
        else:
            sizes.append(static)
    cm, cn = kernel.cluster_shape
    cluster_size = cm * cn
    if grid <= 0 or grid % cluster_size:
        raise PipeirError(
            location_of(kernel),
            f"a grid of {grid} CTAs is not a positive multiple of the {cm}x{cn} cluster",
        )
    if not 0 <= cta < grid:
        raise PipeirError(
            location_of(kernel), f"CTA {cta} is not in a grid of {grid} persistent CTAs"
        )
    rank = cta % cluster_size if rank is None else rank
    if not 0 <= rank < cluster_size:
        raise PipeirError(
            location_of(kernel), f"rank {rank} is not in the {cm}x{cn} cluster of the kernel"
        )
    return Launch(*sizes, grid=grid, cta=cta, rank=rank)


def run_launch(kernel: pipe.KernelOp, launch: Launch) -> KernelTrace:
    """Execute every role of `kernel` for `launch`; raises PipeirError, located
    at the failing op, if the kernel cannot be executed."""
    interpreter = Interpreter(ModuleOp([]), listeners=(budget := _OpBudget(OP_BUDGET),))
    interpreter.register_implementations(ScfFunctions())
    interpreter.register_implementations(KernelArithFunctions())
    interpreter.register_implementations(BuiltinFunctions())
    interpreter.register_implementations(functions := PipeFunctions(kernel, launch))
    try:
        interpreter.run_op(kernel)
    except PipeirError:
        raise
    except Exception as error:
        # The interpreter runs user IR: whatever stops it (an op it has no
        # meaning for, a division by zero, a malformed loop) is an input error.
        failing = budget.current or kernel
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PipeirError(
            location_of(failing),
            f"cannot execute '{failing.name}' for {launch.describe()}: {reason}",
        ) from None
    return functions.traces


def trace_kernel(
    module: ModuleOp | pipe.KernelOp,
    m: int | None = None,
    n: int | None = None,
    k: int | None = None,
    *,
    grid: int = 1,
    cta: int = 0,
    rank: int | None = None,
) -> KernelTrace:
    """The events of each role of the kernel in `module` for one launch.

    m, n, k: problem sizes (required for dynamic dimensions, must match static
    ones); grid: number of persistent CTAs; cta: which CTA runs; rank: its rank
    in the cluster (default cta % cluster size)."""
    kernel = kernel_of(module)
    return run_launch(kernel, make_launch(kernel, m, n, k, grid=grid, cta=cta, rank=rank))


def producer_copies(trace: KernelTrace) -> list[tuple[int, str, int, int]]:
    """(k_tile, operand, stage, phase) of every copy, in program order."""
    return [
        (e.k_tile, e.operand, e.stage, e.phase)
        for events in trace.values()
        for e in events
        if e.kind == "copy"
    ]


def consumer_waits(trace: KernelTrace) -> list[tuple[int, int]]:
    """(stage, phase) of every wait, in program order."""
    return [(e.stage, e.phase) for events in trace.values() for e in events if e.kind == "wait"]


def _gelu(x):
    import torch

    return 0.5 * x * (1.0 + torch.erf(x * math.sqrt(0.5)))


def _gelu_tanh(x):
    import torch

    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def _silu(x):
    import torch

    return x * torch.sigmoid(x)


ACTIVATIONS = {
    Activation.RELU: lambda x: x.clamp_min(0.0),
    Activation.GELU: _gelu,
    Activation.GELU_TANH: _gelu_tanh,
    Activation.SILU: _silu,
}
"""What `epi.activation` computes, element-wise in float32."""


@register_impls
class EpilogueFunctions(InterpreterFunctions):
    """The meaning of the `epi` ops on a block of output elements, rows `rows` and columns
    `columns` of the product: every `!epi.frag` value is a float32 torch tensor of that
    block's shape. A load is the operand broadcast onto the block (placement changes when
    it is read, never what); `epi.yield` returns the value stored before its conversion."""

    def __init__(self, accumulators, operands: dict, rows, columns):
        self.accumulators = accumulators
        self.operands = operands
        self.rows = rows
        self.columns = columns

    @impl(epi.AccOp)
    def run_acc(self, interpreter: Interpreter, op: epi.AccOp, args: PythonValues):
        return (self.accumulators,)

    @impl(epi.LoadOp)
    def run_load(self, interpreter: Interpreter, op: epi.LoadOp, args: PythonValues):
        value = self.operands[op.operand_name].float()
        shape = self.accumulators.shape
        match op.broadcast_kind:
            case epi.Broadcast.SCALAR:
                loaded = value.reshape(()).expand(shape)
            case epi.Broadcast.M:
                loaded = value.reshape(-1)[self.rows][:, None].expand(shape)
            case epi.Broadcast.N:
                loaded = value.reshape(-1)[self.columns][None, :].expand(shape)
            case _:
                loaded = value[self.rows][:, self.columns]
        return (loaded,)

    @impl(epi.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: epi.ConstantOp, args: PythonValues):
        import torch

        return (torch.full(self.accumulators.shape, op.number, dtype=torch.float32),)

    @impl(epi.MulOp)
    def run_mul(self, interpreter: Interpreter, op: epi.MulOp, args: PythonValues):
        return (args[0] * args[1],)

    @impl(epi.AddOp)
    def run_add(self, interpreter: Interpreter, op: epi.AddOp, args: PythonValues):
        return (args[0] + args[1],)

    @impl(epi.ActivationOp)
    def run_activation(self, interpreter: Interpreter, op: epi.ActivationOp, args: PythonValues):
        return (ACTIVATIONS[op.kind.data](args[0]),)

    @impl(epi.SwigluOp)
    def run_swiglu(self, interpreter: Interpreter, op: epi.SwigluOp, args: PythonValues):
        x = args[0]
        return (_silu(x[:, 0::2]) * x[:, 1::2],)

    @impl_terminator(epi.YieldOp)
    def run_yield(self, interpreter: Interpreter, op: epi.YieldOp, args: PythonValues):
        return ReturnedValues(args), ()


def evaluate_epilogue(op: pipe.EpilogueOp, accumulators, operands: dict, rows=None, columns=None):
    """The float32 values `op` stores (before the conversion to c_dtype) for the
    accumulators of rows `rows` x columns `columns` of the product (default: all of
    `accumulators`, which is then the whole (M, N) product), given each epilogue operand
    by name as a torch tensor of its declared shape."""
    import torch

    accumulators = accumulators.float()
    if rows is None:
        rows = torch.arange(accumulators.shape[0])
    if columns is None:
        columns = torch.arange(accumulators.shape[1])
    if op.computation is None:
        return accumulators
    interpreter = Interpreter(ModuleOp([]))
    interpreter.register_implementations(EpilogueFunctions(accumulators, operands, rows, columns))
    (value,) = interpreter.run_ssacfg_region(op.body, (), "epilogue")
    return value
