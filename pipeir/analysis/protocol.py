"""The ring-protocol model checker: prove a kernel's producer/consumer ring protocol by simulation.

For a set of launches (below) the roles are executed with pipeir.analysis.interp and
their traces are replayed against a model of the ring: per stage, how many
times the producer acquired and committed it and the consumer waited for and
released it. The replay checks, in order of the events:

  * pairing: every acquire is committed (exactly once) before the next
    acquire of its stage, with exactly one copy per operand in between, all
    of one k-tile; every wait is released exactly once before the next wait
    of its stage, and mma works only on a stage between its wait and release;
  * phases: a role's n-th pass over a stage must carry phase
    start ^ (n % 2), where a producer starts at phase 1 (stages start empty,
    its first acquire passes at once) and a consumer at phase 0. A state that
    is stale (an advance skipped, a state reused) or comes from an
    init_state with the wrong start phase is an error: in hardware its
    barrier wait would pass on an old phase or wait for a future one;
  * progress: the producer's n-th acquire of a stage waits until the
    consumer released that stage n times, its producer_tail until every
    stage in flight was released; the consumer's n-th wait of a stage waits
    until the stage was committed n + 1 times. Producer and consumer run
    concurrently, each as far as it can; a state where neither can go on is
    a deadlock (a prologue that skips an acquire but still advances, a
    consumer that consumes fewer or more k-tiles than are produced). At the
    end every commit must have been consumed;
  * WGMMA batches: an mma issues a batch that reads its stage until an
    mma_wait pending(N) retires it (all but the newest N batches retire). A
    release of a stage that an unretired batch reads is an error, and so is
    an acc_init or an epilogue with batches in flight;
  * the product: an epilogue stores the CTA's next work tile of the persistent
    schedule (pipeir.target.schedule), masked where the tile reaches past
    M x N, and its accumulators hold, since the tile's acc_init, k-tiles
    0..ceil(K / tile_k) - 1 of that tile's row of A and column of B, each
    multiplied exactly once (a fill's row, column and k-tile are those its
    copies load). Every work tile of the CTA is stored;
  * split-K: a work unit's accumulators hold k-tiles 0..ceil(k_tiles / S) - 1 of its
    own K slice (its copies' split) when it hands them to `split_reduce`, which
    counts as storing the unit; an epilogue must follow the split_reduce of its own
    tile, with no acc_init in between (it stores the reduced tile);
  * multicast: a copy multicast to several CTAs carries the issuing CTA's
    rank, which must lie in the cluster (cluster_m * cluster_n CTAs) and be
    the rank of the CTA that runs it; a producer that multicasts must end
    with a producer_tail after its last commit (peers' releases arrive on its
    barriers).

  * pingpong: each consumer warpgroup is replayed as a role of its own, on its share of
    the CTA's work tiles (warpgroup w of W: tiles w, w + W, ...), against the one ring.
    Its turns (`order_wait` / `order_signal` of a phase, mma or epilogue) alternate: a
    warpgroup's n-th order_wait of a phase blocks until the phase was signalled
    n * W + w times, a signal needs the warpgroup's own wait of the phase before it, and
    no warpgroup ends inside a turn. Every consumer wait must sit in its warpgroup's mma
    turn: the waits of the two warpgroups then take each stage's fills in ring order
    (a wait on a later lap with the same phase parity would pass on an earlier fill), and
    every epilogue in its epilogue turn (the staging buffers are the warpgroups' in turn).
    A stage is consumed exactly once, by the warpgroup whose tile it holds: the product
    check of each warpgroup's epilogues.

A 'mainloop' role (producer and consumer sharing warps) is replayed alone,
in program order: any acquire or wait that would block is a deadlock, since
only the same warps could later unblock it.

The CTAs of a cluster work in lockstep on the ring (the tile scheduler gives
each the same number of k-tiles), so one CTA's ring stands for every ring its
loads multicast into: a release stands for the releases of all consumers of
the stage (cluster_m + cluster_n - 1 CTAs).

Launches. The kernel must first be tile-uniform (pipeir.analysis.uniformity):
its work tiles differ in their coordinates only, so a CTA's events depend on
the launch only through K and how many work tiles the CTA has. Static sizes
are used as they are. A dynamic M or N spans three cluster tiles, the last
partial where the cluster has two CTAs along it, ending in an edge tile. A
dynamic K takes every k-tile count 1..2S+2 (S stages), each as whole k-tiles
and with a partial last k-tile. For each size, grids are chosen that give a
CTA 3, 2, 1 and 0 work tiles (those the problem allows), and every rank of
that CTA's cluster is simulated at the first K, rank 0 at the others (a rank
changes only the tiles loaded and stored, which do not depend on K).
See docs/reliability.md for what this proves.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp

from pipeir.dialects import pipe
from pipeir.analysis.interp import Event, Geometry, KernelTrace, Launch, State, parse_trace_name, run_launch
from pipeir.analysis.uniformity import check_tile_uniform
from pipeir.ir import PipeirError, location_of, verify_located
from pipeir.target import schedule

PRODUCER_START_PHASE = 1
CONSUMER_START_PHASE = 0
WORK_TILES_PER_CTA = (3, 2, 1, 0)
"""The numbers of work tiles per CTA simulated (where the problem has that many)."""
LAST_EVENTS = 8
ROLE_LETTER = {"producer": "P", "consumer": "C", "mainloop": "M"}


def problem_sizes(kernel: pipe.KernelOp) -> list[tuple[int, int, int]]:
    """The (M, N, K) sizes simulated for `kernel` (see the module docstring)."""
    tile_m, tile_n, tile_k = kernel.tile_shape
    cluster_m, cluster_n = kernel.cluster_shape
    (pipeline,) = kernel.pipelines
    m, n, k = kernel.problem_shape
    # A dynamic M or N spans three cluster tiles, the last partial (where the
    # cluster has two CTAs along it) and ending in an edge tile: 3, 6 or 9 work
    # tiles, so that a grid gives 3 to some CTA (4 would not).
    if m == pipe.DYNAMIC:
        m = 2 * cluster_m * tile_m + 1
    if n == pipe.DYNAMIC:
        n = 2 * cluster_n * tile_n + 1
    if k != pipe.DYNAMIC:
        return [(m, n, k)]
    return [
        (m, n, size)
        for k_tiles in range(1, max_k_tiles(pipeline.stage_count) + 1)
        for size in (k_tiles * tile_k - tile_k // 2, k_tiles * tile_k)  # with a tail, without
    ]


def max_k_tiles(stages: int) -> int:
    """The most k-tiles a dynamic K is simulated with, for a ring of `stages` stages."""
    return 2 * stages + 2


def cluster_with_work_tiles(work_tiles: int, count: int) -> tuple[int, int] | None:
    """(clusters, cluster) such that, in a grid of `clusters` clusters, cluster index
    `cluster` gets exactly `count` of the `work_tiles` work tiles, or None if no grid
    gives any cluster that many. Cluster c gets ceil((work_tiles - c) / clusters);
    the last cluster with `count` is taken, so that count 1 is the last work tile,
    the corner of the problem, with its edge tiles."""
    if count == 0:
        return work_tiles + 1, work_tiles
    for clusters in (work_tiles // count, work_tiles // count + 1):
        # The largest cluster index with more than count - 1 tiles.
        cluster = min(clusters - 1, work_tiles - (count - 1) * clusters - 1)
        if 0 <= cluster and pipe.ceil_div(work_tiles - cluster, clusters) == count:
            return clusters, cluster
    return None


def launches(kernel: pipe.KernelOp, m: int, n: int, k: int) -> list[Launch]:
    """The CTAs simulated for problem size (m, n, k): for each number of work tiles
    per CTA in WORK_TILES_PER_CTA that some grid gives, every rank of a cluster
    with that many."""
    tile_m, tile_n, _ = kernel.tile_shape
    cluster_m, cluster_n = kernel.cluster_shape
    cluster_size = cluster_m * cluster_n
    work_tiles = schedule.work_unit_count(
        pipe.ceil_div(m, tile_m), pipe.ceil_div(n, tile_n), cluster_m, cluster_n, kernel.split_k_count
    )
    simulated = []
    for count in WORK_TILES_PER_CTA:
        placement = cluster_with_work_tiles(work_tiles, count)
        if placement is not None:
            clusters, cluster = placement
            simulated += [
                Launch(m, n, k, grid=clusters * cluster_size, cta=cluster * cluster_size + rank, rank=rank)
                for rank in range(cluster_size)
            ]
    return simulated


def k_tile_labels(events: list[Event]) -> list[int | None]:
    """The k-tile each event works on, for diagnostics: a producer event's is
    the k-tile its fill copies; a consumer event's is its position among the
    waits of its work tile (counted from the last acc_init)."""
    labels: list[int | None] = [None] * len(events)
    open_fills: dict[int, int] = {}
    reads: dict[int, int] = {}
    consumed = 0
    for position, event in enumerate(events):
        match event.kind:
            case "acquire":
                open_fills[event.stage] = position
            case "copy":
                labels[position] = event.k_tile
                acquire = open_fills.get(event.stage)
                if acquire is not None and labels[acquire] is None:
                    labels[acquire] = event.k_tile
            case "commit":
                acquire = open_fills.pop(event.stage, None)
                labels[position] = None if acquire is None else labels[acquire]
            case "acc_init":
                consumed = 0
            case "wait":
                labels[position] = reads[event.stage] = consumed
                consumed += 1
            case "mma" | "release":
                labels[position] = reads.get(event.stage)
    return labels


@dataclass
class _Fill:
    """An acquired stage, not yet committed, and the copies into it so far."""

    acquire: Event
    copies: dict[str, Event] = field(default_factory=dict)


@dataclass(frozen=True)
class _Loaded:
    """What a committed fill holds: the tile of each operand (A's row m, B's column
    n) and the k-tile."""

    commit: Event
    tiles: dict[str, int]
    k_tile: int
    split: int | None = None
    """The K slice the copies load (split-K)."""


@dataclass
class _Stage:
    acquires: int = 0
    commits: int = 0
    waits: int = 0
    releases: int = 0
    fill: _Fill | None = None
    read: Event | None = None
    """The consumer's wait that holds the stage, until its release."""
    reader: str | None = None
    """The role (a pingpong consumer's warpgroup) whose wait that is."""
    reading: _Loaded | None = None
    """What the stage held when that wait took it."""
    unconsumed: deque[_Loaded] = field(default_factory=deque)
    """Fills of this stage that no wait has taken yet, oldest first."""


@dataclass(frozen=True)
class _Batch:
    """A WGMMA batch issued by an mma and not yet retired by an mma_wait."""

    mma: Event
    read: Event
    """The wait whose fill the batch reads."""


@dataclass
class _Accumulator:
    """A consumer's accumulators and its WGMMA batches."""

    products: list[tuple[Event, _Loaded]] | None = None
    """The fills multiplied into the accumulators since the last acc_init (None
    before the first acc_init and after each epilogue)."""
    in_flight: deque[_Batch] = field(default_factory=deque)
    stored: int = 0
    """Epilogues so far (split_reduces under split-K): the CTA's work tiles stored."""
    reduced: tuple[int, int] | None = None
    """The tile of the last split_reduce, until the next acc_init or epilogue: what an
    epilogue of a split-K kernel may store."""


@dataclass
class _Role:
    name: str
    """Its trace's name: the kind, with the warpgroup of a pingpong consumer."""
    kind: str
    events: list[Event]
    labels: list[int | None]
    role_op: pipe.RoleOp
    units: list[tuple[tuple[int, int], int]]
    """(output tile, K split) of each work unit it must store, in order."""
    warpgroup: int | None = None
    position: int = 0
    blocked: str | None = None
    accumulator: _Accumulator = field(default_factory=_Accumulator)
    turns: set[str] = field(default_factory=set)
    """The order phases whose turn it holds (between its order_wait and order_signal)."""
    order_waits: dict[str, int] = field(default_factory=dict)
    """How many order_waits of each phase it has passed."""

    @property
    def done(self) -> bool:
        return self.position == len(self.events)

    @property
    def current(self) -> Event:
        return self.events[self.position]


class _Replay:
    """One launch's traces replayed against the ring."""

    def __init__(self, kernel: pipe.KernelOp, launch: Launch, trace: KernelTrace):
        (pipeline,) = kernel.pipelines
        self.pipeline = pipeline
        self.launch = launch
        self.geometry = Geometry.of(kernel, launch)
        cluster_m, cluster_n = kernel.cluster_shape
        self.cluster = (cluster_m, cluster_n)
        self.stages = [_Stage() for _ in range(pipeline.stage_count)]
        role_ops = {role.kind.data: role for role in kernel.roles}
        names = {name: parse_trace_name(name) for name in trace}
        self.warpgroups = sum(1 for _, warpgroup in names.values() if warpgroup is not None)
        units = self.geometry.work_units()
        self.roles = [
            _Role(name, kind, events, k_tile_labels(events), role_ops[kind],
                  units if warpgroup is None else units[warpgroup::self.warpgroups], warpgroup)
            for (name, events), (kind, warpgroup) in zip(trace.items(), names.values(), strict=True)
        ]
        self.order_signals: dict[str, int] = {str(phase): 0 for phase in pipe.OrderPhase}
        self.history: deque[str] = deque(maxlen=LAST_EVENTS)

    def run(self) -> None:
        for role in self.roles:
            if role.done:  # no events at all: it still owes its CTA's work tiles
                self.check_finished(role)
        while not all(role.done for role in self.roles):
            progressed = False
            for role in self.roles:
                while not role.done:
                    role.blocked = self.step(role)
                    if role.blocked is not None:
                        break
                    progressed = True
                    role.position += 1
                    if role.done:
                        self.check_finished(role)
            if not progressed:
                self.deadlock()
        self.check_all_consumed()

    # -- diagnostics ---------------------------------------------------------

    def fail(self, event: Event, message: str) -> PipeirError:
        history = ", ".join(self.history) or "none"
        return PipeirError(
            event.location, f"{message}; launch {self.launch.describe()}; last events: {history}"
        )

    @staticmethod
    def at(event: Event, k_tile: int | None) -> str:
        where = f"stage {event.stage} (phase {event.phase})"
        if k_tile is not None:
            where += f" at k-tile {k_tile}"
        if event.tile is not None:
            where += f" of tile {event.tile}"
        return where

    def log(self, role: _Role, event: Event, k_tile: int | None) -> None:
        letter = ROLE_LETTER[role.kind] + ("" if role.warpgroup is None else str(role.warpgroup))
        if event.kind in ("order_wait", "order_signal"):
            self.history.append(f"{letter} {event.kind} {event.order_phase}")
        if event.kind in ("acquire", "commit", "wait", "release", "producer_tail"):
            entry = f"{letter} {event.kind} s{event.stage}"
            if event.kind == "acquire" and k_tile is not None:
                entry += f" k{k_tile}"
            self.history.append(entry)

    def deadlock(self) -> None:
        stuck = [role for role in self.roles if role.blocked is not None]
        parts = [
            f"{role.name} {role.blocked}" if role.blocked is not None else f"{role.name} has finished"
            for role in self.roles
        ]
        if len(self.roles) == 1:
            frees = "release" if stuck[0].current.kind in ("acquire", "producer_tail") else "commit"
            parts.append(f"which only its own later {frees} of the stage could unblock")
        raise self.fail(stuck[0].current, "deadlock: " + ", ".join(parts))

    # -- the ring --------------------------------------------------------------

    def step(self, role: _Role) -> str | None:
        """Perform `role`'s next event; return why it blocks, if it does."""
        event = role.current
        k_tile = role.labels[role.position]
        stage = self.stages[event.stage] if event.state is not None else None
        match event.kind:
            case "acquire":
                blocked = self.acquire(event, stage, k_tile)
            case "copy":
                blocked = self.copy(event, stage)
            case "commit":
                blocked = self.commit(event, stage, k_tile)
            case "producer_tail":
                blocked = self.producer_tail(event)
            case "wait":
                self.check_turn(role, event, pipe.OrderPhase.MMA)
                blocked = self.wait(event, stage, k_tile)
                if blocked is None:
                    stage.reader = role.name
            case "order_wait":
                blocked = self.order_wait(role, event)
            case _:
                # The consumer's other events never block; they raise if they break a rule.
                blocked = None
                if event.kind in ("mma", "release") and stage.read is not None and stage.reader != role.name:
                    raise self.fail(
                        event, f"{event.kind} of {self.at(event, k_tile)} by {role.name}, but {stage.reader} "
                        "waited for the stage: a stage is consumed by the warpgroup whose tile it holds")
                match event.kind:
                    case "mma":
                        self.mma(role.accumulator, event, stage, k_tile)
                    case "mma_wait":
                        self.mma_wait(role.accumulator, event)
                    case "release":
                        self.release(role.accumulator, event, stage, k_tile)
                    case "acc_init":
                        self.acc_init(role.accumulator, event)
                    case "split_reduce":
                        self.split_reduce(role, event)
                    case "epilogue":
                        self.check_turn(role, event, pipe.OrderPhase.EPILOGUE)
                        self.epilogue(role, event)
                    case "order_signal":
                        self.order_signal(role, event)
        if blocked is None:
            self.log(role, event, k_tile)
        return blocked

    def pass_phase(self, event: Event, state: State, passes: int, role: str) -> int:
        """Check `state`, used by `event` for `role`'s pass number `passes` over
        its stage. Returns 1 where the producer's first pass over a stage comes
        a lap early (its acquire waits for a release that needs its own fill
        first: it blocks), else 0; raises for any other phase mismatch."""
        start_phase = PRODUCER_START_PHASE if role == "producer" else CONSUMER_START_PHASE
        expected = start_phase ^ (passes & 1)
        if state.phase == expected:
            return 0
        what = f"wrong phase: {role} {event.kind} of stage {state.index} uses phase {state.phase}"
        start = state.origin.phase.value.data
        if start != start_phase:
            raise self.fail(
                event,
                f"{what}; a {role} state starts at phase {start_phase}, but this one comes "
                f"from the init_state with phase {start} at {location_of(state.origin)}",
            )
        if passes > 0:
            raise self.fail(
                event,
                f"{what}, but this is its pass {passes + 1} over the stage, which needs phase "
                f"{expected}: a stale state (an advance skipped or an old state reused)",
            )
        if role != "producer":
            raise self.fail(
                event,
                f"{what}, but this is its first pass over the stage, which needs phase "
                f"{expected}: the wait would pass before the stage is filled (the state "
                "skipped the stage on an earlier lap)",
            )
        return 1

    # -- the pingpong order -----------------------------------------------------------------

    def order_wait(self, role: _Role, event: Event) -> str | None:
        phase = event.order_phase
        if phase in role.turns:
            raise self.fail(
                event, f"order_wait {phase} of {role.name} inside its own {phase} turn: an order_signal "
                f"{phase} must end the turn first (the other warpgroup's turn comes between)")
        passed = role.order_waits.get(phase, 0)
        needed = passed * self.warpgroups + role.warpgroup
        if self.order_signals[phase] < needed:
            return f"blocks on order_wait {phase} (its turn {passed + 1}, after {needed} signals)"
        role.order_waits[phase] = passed + 1
        role.turns.add(phase)
        return None

    def order_signal(self, role: _Role, event: Event) -> None:
        phase = event.order_phase
        if phase not in role.turns:
            raise self.fail(
                event, f"order_signal {phase} of {role.name} outside its {phase} turn: it hands over a "
                f"turn it does not hold (an order_wait {phase} must come first)")
        role.turns.discard(phase)
        self.order_signals[phase] += 1

    def check_turn(self, role: _Role, event: Event, phase: pipe.OrderPhase) -> None:
        """A pingpong warpgroup's `event` must sit in its turn of `phase`."""
        if role.warpgroup is None or str(phase) in role.turns:
            return
        why = (
            "its waits would race the other warpgroup's for the same stages: a wait a lap "
            "ahead passes on an earlier fill of the same phase parity"
            if phase == pipe.OrderPhase.MMA
            else "the warpgroups' epilogues share the staging buffers"
        )
        raise self.fail(event, f"{event.kind} of {role.name} outside its {phase} turn (no order_wait {phase} "
                               f"before it, or after its order_signal): {why}")

    def acquire(self, event: Event, stage: _Stage, k_tile: int | None) -> str | None:
        if stage.fill is not None:
            raise self.missing_commit(stage.fill.acquire, "before the next acquire of the stage")
        ahead = self.pass_phase(event, event.state, stage.acquires, "producer")
        if stage.releases < stage.acquires + ahead:
            return f"blocks on acquire of {self.at(event, k_tile)}"
        stage.acquires += 1
        stage.fill = _Fill(event)
        return None

    def missing_commit(self, acquire: Event, when: str) -> PipeirError:
        return self.fail(
            acquire,
            f"missing commit: the acquire of stage {acquire.stage} (phase {acquire.phase}) "
            f"is not committed {when}",
        )

    def copy(self, event: Event, stage: _Stage) -> str | None:
        fill = stage.fill
        what = f"copy of '{event.operand}' (k-tile {event.k_tile}) into stage {event.stage}"
        if fill is None:
            where = "after its commit" if stage.acquires else "before any acquire of it"
            raise self.fail(
                event,
                f"{what} {where}: copies must sit between the acquire and the commit of their stage",
            )
        if event.phase != fill.acquire.phase:
            raise self.fail(
                event,
                f"wrong phase: {what} uses phase {event.phase}, its acquire phase {fill.acquire.phase}",
            )
        if event.operand in fill.copies:
            raise self.fail(event, f"second {what} in one fill: one copy per operand per acquire")
        if event.rank is not None:
            self.check_rank(event)
        fill.copies[event.operand] = event
        return None

    def check_rank(self, event: Event) -> None:
        cluster_m, cluster_n = self.cluster
        size = cluster_m * cluster_n
        receivers = self.pipeline.mcast_of(event.operand)
        if not 0 <= event.rank < size:
            raise self.fail(
                event,
                f"multicast rank {event.rank} of the copy of '{event.operand}' (to {receivers} "
                f"CTAs) is outside the {cluster_m}x{cluster_n} cluster (ranks 0..{size - 1})",
            )
        if event.rank != self.launch.rank:
            raise self.fail(
                event,
                f"the copy of '{event.operand}' multicasts as rank {event.rank}, but runs on the "
                f"CTA of rank {self.launch.rank}: each CTA must load its own slice",
            )

    def commit(self, event: Event, stage: _Stage, k_tile: int | None) -> str | None:
        fill = stage.fill
        if fill is None:
            raise self.fail(
                event,
                f"commit of stage {event.stage} (phase {event.phase}) without an acquire "
                "(a second commit of one acquire?)",
            )
        if event.phase != fill.acquire.phase:
            raise self.fail(
                event,
                f"wrong phase: commit of stage {event.stage} uses phase {event.phase}, its "
                f"acquire phase {fill.acquire.phase}",
            )
        missing = [o for o in self.pipeline.operand_names if o not in fill.copies]
        if missing:
            raise self.fail(
                event,
                f"commit of {self.at(event, k_tile)} without a copy of "
                + ", ".join(f"'{o}'" for o in missing),
            )
        loaded = {}  # the k-tile and the K split the stage's copies agree on
        for what, attribute in (("k-tiles", "k_tile"), ("K splits", "split")):
            values = {getattr(copy, attribute) for copy in fill.copies.values()}
            if len(values) > 1:
                raise self.fail(
                    event,
                    f"commit of stage {event.stage}: its copies load different {what} "
                    + ", ".join(f"'{o}' {getattr(c, attribute)}" for o, c in fill.copies.items()),
                )
            (loaded[attribute],) = values
        stage.commits += 1
        stage.fill = None
        tiles = {operand: copy.operand_tile for operand, copy in fill.copies.items()}
        stage.unconsumed.append(_Loaded(event, tiles, loaded["k_tile"], loaded["split"]))
        return None

    def producer_tail(self, event: Event) -> str | None:
        for stage in self.stages:
            if stage.fill is not None:
                raise self.missing_commit(stage.fill.acquire, "before the producer_tail")
        # The tail acquires every stage once more, starting at its state:
        # it returns when the consumer released everything in flight.
        state = event.state
        for _ in self.stages:
            stage = self.stages[state.index]
            ahead = self.pass_phase(event, state, stage.acquires, "producer")
            if stage.releases < stage.acquires + ahead:
                return f"blocks in producer_tail on stage {state.index} (phase {state.phase})"
            state = state.advanced()
        return None

    def wait(self, event: Event, stage: _Stage, k_tile: int | None) -> str | None:
        if stage.read is not None:
            raise self.missing_release(stage.read, "before the next wait of the stage")
        self.pass_phase(event, event.state, stage.waits, "consumer")
        if stage.commits <= stage.waits:
            return f"blocks on wait of {self.at(event, k_tile)}"
        stage.waits += 1
        stage.read = event
        stage.reading = stage.unconsumed.popleft()
        return None

    def missing_release(self, wait: Event, when: str) -> PipeirError:
        return self.fail(
            wait,
            f"missing release: the wait of stage {wait.stage} (phase {wait.phase}) is not "
            f"released {when}",
        )

    def held(self, event: Event, stage: _Stage, k_tile: int | None) -> None:
        """`event` (mma, release) needs the stage waited for and not yet released."""
        if stage.read is None:
            problem = "double release" if event.kind == "release" and stage.waits else "no wait"
            raise self.fail(
                event,
                f"{event.kind} of {self.at(event, k_tile)} while the consumer holds no wait "
                f"of the stage ({problem}): every wait is released exactly once",
            )
        if event.phase != stage.read.phase:
            raise self.fail(
                event,
                f"wrong phase: {event.kind} of stage {event.stage} uses phase {event.phase}, "
                f"its wait phase {stage.read.phase}",
            )

    def mma(self, accumulator: _Accumulator, event: Event, stage: _Stage, k_tile: int | None) -> None:
        self.held(event, stage, k_tile)
        if accumulator.products is None:
            raise self.fail(
                event,
                f"mma of {self.at(event, k_tile)} without an acc_init since the last epilogue: "
                "it adds to accumulators that hold no fresh tile",
            )
        accumulator.products.append((event, stage.reading))
        accumulator.in_flight.append(_Batch(event, stage.read))

    @staticmethod
    def mma_wait(accumulator: _Accumulator, event: Event) -> None:
        # pending >= 0: the dialect's verifier of pipe.mma_wait, which runs first.
        while len(accumulator.in_flight) > event.pending:
            accumulator.in_flight.popleft()

    def release(self, accumulator: _Accumulator, event: Event, stage: _Stage, k_tile: int | None) -> None:
        self.held(event, stage, k_tile)
        reader = next((b for b in accumulator.in_flight if b.read is stage.read), None)
        if reader is not None:
            raise self.fail(
                event,
                f"release of {self.at(event, k_tile)} while WGMMA still reads it: the mma at "
                f"{location_of(reader.mma.op)} has not retired (an mma_wait must leave fewer "
                "batches in flight than were issued after it)",
            )
        stage.releases += 1
        stage.read = stage.reading = None

    def in_flight(self, accumulator: _Accumulator, event: Event, what: str) -> None:
        batches = len(accumulator.in_flight)
        if batches:
            raise self.fail(
                event,
                f"{what} while {batches} WGMMA batch(es) are in flight (the last issued at "
                f"{location_of(accumulator.in_flight[-1].mma.op)}): they still add to the "
                "accumulators; an mma_wait pending(0) must come first",
            )

    def acc_init(self, accumulator: _Accumulator, event: Event) -> None:
        self.in_flight(accumulator, event, "acc_init")
        accumulator.products = []
        accumulator.reduced = None

    def store_work_tile(self, role: _Role, event: Event, what: str) -> None:
        """`event` stores the role's next work tile (unit): check the accumulators hold
        its product."""
        accumulator = role.accumulator
        self.in_flight(accumulator, event, what)
        if accumulator.products is None:
            raise self.fail(event, f"{what} without an acc_init since the last {event.kind}")
        position = accumulator.stored
        units = role.units
        if position >= len(units) or units[position] != (event.tile, event.split or 0):
            scheduled = (
                f"its work tile {position + 1} is tile {units[position][0]}"
                + (f" split {units[position][1]}" if event.split is not None else "")
                if position < len(units)
                else f"it has only {len(units)} work tile(s)"
            )
            whose = "this CTA's" if role.warpgroup is None else f"the schedule of {role.name} in this CTA"
            raise self.fail(event, f"{what}, but in {whose} {scheduled}")
        self.check_product(event, accumulator.products)
        accumulator.stored += 1
        accumulator.products = None

    def split_reduce(self, role: _Role, event: Event) -> None:
        self.store_work_tile(role, event, f"split_reduce of tile {event.tile} split {event.split}")
        role.accumulator.reduced = event.tile

    def epilogue(self, role: _Role, event: Event) -> None:
        accumulator = role.accumulator
        tile = event.tile
        what = f"epilogue of tile {tile}"
        if self.geometry.splits > 1:
            self.in_flight(accumulator, event, what)
            if accumulator.reduced != tile:
                raise self.fail(
                    event,
                    f"{what} in a split-K kernel without the tile's split_reduce since the last acc_init: "
                    "only the unit that completes the tile's reduction stores it",
                )
            accumulator.reduced = None
        else:
            self.store_work_tile(role, event, what)
        if not event.masked and not self.geometry.tile_is_full(*tile):
            raise self.fail(
                event,
                f"unmasked {what}: the tile reaches past M x N, so its store must be masked",
            )

    def check_product(self, event: Event, products: list[tuple[Event, _Loaded]]) -> None:
        """The accumulators of `event`'s tile must hold k-tiles 0..k_tiles-1 of its
        row of A and column of B (of its K split's slice under split-K), each exactly
        once."""
        m, n = event.tile
        k_tiles = self.geometry.k_tiles
        what = f"{event.kind} of tile {event.tile} stores a wrong product"
        seen: dict[int, Event] = {}
        for mma, loaded in products:
            if loaded.split != event.split:
                raise self.fail(
                    mma,
                    f"{what}: the mma of k-tile {loaded.k_tile} reads a fill of K split {loaded.split}, "
                    f"but the unit is split {event.split} (committed at {location_of(loaded.commit.op)})",
                )
            if loaded.tiles != {"a": m, "b": n}:
                raise self.fail(
                    mma,
                    f"{what}: the mma of k-tile {loaded.k_tile} reads a fill of A row "
                    f"{loaded.tiles.get('a')} and B column {loaded.tiles.get('b')} (committed at "
                    f"{location_of(loaded.commit.op)})",
                )
            if loaded.k_tile in seen:
                raise self.fail(
                    mma,
                    f"{what}: k-tile {loaded.k_tile} is multiplied twice (first at "
                    f"{location_of(seen[loaded.k_tile].op)})",
                )
            if not 0 <= loaded.k_tile < k_tiles:
                raise self.fail(
                    mma, f"{what}: k-tile {loaded.k_tile} is outside K ({k_tiles} k-tiles)"
                )
            seen[loaded.k_tile] = mma
        missing = [k for k in range(k_tiles) if k not in seen]
        if missing:
            raise self.fail(
                event,
                f"{what}: k-tile(s) {', '.join(map(str, missing[:4]))}"
                f"{', ...' if len(missing) > 4 else ''} of {k_tiles} are never multiplied",
            )

    def check_finished(self, role: _Role) -> None:
        for stage in self.stages:
            if role.kind != "consumer" and stage.fill is not None:
                raise self.missing_commit(stage.fill.acquire, f"before the {role.kind} ends")
            if role.kind != "producer" and stage.read is not None:
                raise self.missing_release(stage.read, f"before the {role.kind} ends")
        if role.kind != "consumer":
            self.check_producer_tail(role)
        if role.turns:
            phase = sorted(role.turns)[0]
            raise PipeirError(
                location_of(role.role_op),
                f"{role.name} ends inside its {phase} turn (an order_wait {phase} without its "
                f"order_signal): the other warpgroup would wait for it forever; launch {self.launch.describe()}",
            )
        if role.kind != "producer" and role.accumulator.stored != len(role.units):
            missing = role.units[role.accumulator.stored][0]
            whose = "its CTA" if role.warpgroup is None else "its share of its CTA"
            raise PipeirError(
                location_of(role.role_op),
                f"the {role.name} stores {role.accumulator.stored} of the "
                f"{len(role.units)} work tile(s) of {whose}: tile {missing} is never "
                f"stored; launch {self.launch.describe()}",
            )

    def check_producer_tail(self, role: _Role) -> None:
        """A producer whose loads multicast must wait, before it exits, until every
        stage it filled was released: the releases of peer CTAs arrive on this CTA's
        barriers, which must still exist."""
        multicast = [o for o in self.pipeline.operand_names if self.pipeline.mcast_of(o) > 1]
        commits = [i for i, e in enumerate(role.events) if e.kind == "commit"]
        if not multicast or not commits:
            return
        if not any(e.kind == "producer_tail" for e in role.events[commits[-1]:]):
            last = role.events[commits[-1]]
            raise self.fail(
                last,
                f"missing producer_tail: the {role.kind} multicasts "
                + ", ".join(f"'{o}' to {self.pipeline.mcast_of(o)} CTAs" for o in multicast)
                + " but exits after this last commit without a producer_tail: a peer CTA's "
                "release would arrive at a CTA that has exited",
            )

    def check_all_consumed(self) -> None:
        for stage in self.stages:
            if stage.unconsumed:
                commit = stage.unconsumed[0].commit
                raise self.fail(
                    commit,
                    f"unconsumed fill: the commit of stage {commit.stage} (phase {commit.phase}) "
                    "is never waited for: the consumer takes fewer k-tiles than the producer loads",
                )


def verify_kernel(kernel: pipe.KernelOp) -> list[Launch]:
    """Check `kernel`'s ring protocol on the `launches` of each of its
    `problem_sizes`; returns the launches simulated, raises PipeirError on the
    first failure."""
    check_tile_uniform(kernel)
    simulated = []
    for size, (m, n, k) in enumerate(problem_sizes(kernel)):
        for launch in launches(kernel, m, n, k):
            # Tile uniformity: a rank changes only the tiles a CTA loads and stores,
            # not with K; every rank is simulated at the first K only.
            if size and launch.rank:
                continue
            _Replay(kernel, launch, run_launch(kernel, launch)).run()
            simulated.append(launch)
    return simulated


def verify_pipeline(module: ModuleOp) -> dict[str, list[Launch]]:
    """Verify every kernel of `module`; returns the launches simulated per kernel."""
    verify_located(module)
    kernels = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
    return {kernel.sym_name.data: verify_kernel(kernel) for kernel in kernels}
