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
  * multicast: a copy multicast to several CTAs carries the issuing CTA's
    rank, which must lie in the cluster (cluster_m * cluster_n CTAs) and be
    the rank of the CTA that runs it.

A 'mainloop' role (producer and consumer sharing warps) is replayed alone,
in program order: any acquire or wait that would block is a deadlock, since
only the same warps could later unblock it.

The CTAs of a cluster work in lockstep on the ring (the tile scheduler gives
each the same number of k-tiles), so one CTA's ring stands for every ring its
loads multicast into: a release stands for the releases of all consumers of
the stage (cluster_m + cluster_n - 1 CTAs).

Launches. Static dimensions are used as they are. A dynamic M or N is tried
with one tile row or column (M = tile_m, N = tile_n) and with several whose
last is partial (M = 2 * tile_m + 1: three rows; N = tile_n + 1: two columns).
A dynamic K takes, for a ring of S stages, 1, S - 1, S, S + 1 and 2S + 1 full
k-tiles, and two K tails: half a k-tile, and S k-tiles and a half. For each
problem size the grid is a multiple of the cluster size giving each CTA about
TILES_PER_CTA work tiles (so the ring runs on across work tiles); simulated
are the CTAs of the first cluster (every rank) and the CTA that owns the last,
edge, work tile.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp

from pipeir.dialects import pipe
from pipeir.analysis.interp import Event, KernelTrace, Launch, State, run_launch
from pipeir.ir import PipeirError, location_of, verify_located

PRODUCER_START_PHASE = 1
CONSUMER_START_PHASE = 0
TILES_PER_CTA = 3
LAST_EVENTS = 8
ROLE_LETTER = {"producer": "P", "consumer": "C", "mainloop": "M"}


def problem_sizes(kernel: pipe.KernelOp) -> list[tuple[int, int, int]]:
    """The (M, N, K) sizes simulated for `kernel` (see the module docstring)."""
    m, n, k = kernel.problem_shape
    tile_m, tile_n, tile_k = kernel.tile_shape
    (pipeline,) = kernel.pipelines
    stages = pipeline.stage_count
    ms = [tile_m, 2 * tile_m + 1] if m == pipe.DYNAMIC else [m]
    ns = [tile_n, tile_n + 1] if n == pipe.DYNAMIC else [n]
    # One tile row/column and several: the dynamic dimensions vary together.
    output_sizes = sorted({(ms[0], ns[0]), (ms[-1], ns[-1])})
    if k == pipe.DYNAMIC:
        full = [tile_k * count for count in (1, stages - 1, stages, stages + 1, 2 * stages + 1)]
        tails = [tile_k // 2, stages * tile_k + tile_k // 2]
        ks = sorted({size for size in full + tails if size > 0})
    else:
        ks = [k]
    return [(m_size, n_size, k_size) for m_size, n_size in output_sizes for k_size in ks]


def launches(kernel: pipe.KernelOp, m: int, n: int, k: int) -> list[Launch]:
    """The CTAs simulated for problem size (m, n, k)."""
    tile_m, tile_n, _ = kernel.tile_shape
    cluster_m, cluster_n = kernel.cluster_shape
    cluster_size = cluster_m * cluster_n
    tiles = pipe.ceil_div(m, tile_m) * pipe.ceil_div(n, tile_n)
    grid = cluster_size * pipe.ceil_div(tiles, cluster_size * TILES_PER_CTA)
    ctas = sorted({*range(cluster_size), (tiles - 1) % grid})
    return [Launch(m, n, k, grid=grid, cta=cta, rank=cta % cluster_size) for cta in ctas]


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


@dataclass
class _Stage:
    acquires: int = 0
    commits: int = 0
    waits: int = 0
    releases: int = 0
    fill: _Fill | None = None
    read: Event | None = None
    unconsumed: deque[Event] = field(default_factory=deque)
    """Commits of this stage that no wait has taken yet, oldest first."""


@dataclass
class _Role:
    kind: str
    events: list[Event]
    labels: list[int | None]
    position: int = 0
    blocked: str | None = None

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
        cluster_m, cluster_n = kernel.cluster_shape
        self.cluster = (cluster_m, cluster_n)
        self.stages = [_Stage() for _ in range(pipeline.stage_count)]
        self.roles = [_Role(kind, events, k_tile_labels(events)) for kind, events in trace.items()]
        self.history: deque[str] = deque(maxlen=LAST_EVENTS)

    def run(self) -> None:
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
        if event.kind in ("acquire", "commit", "wait", "release", "producer_tail"):
            entry = f"{ROLE_LETTER[role.kind]} {event.kind} s{event.stage}"
            if event.kind == "acquire" and k_tile is not None:
                entry += f" k{k_tile}"
            self.history.append(entry)

    def deadlock(self) -> None:
        stuck = [role for role in self.roles if role.blocked is not None]
        parts = [
            f"{role.kind} {role.blocked}" if role.blocked is not None else f"{role.kind} has finished"
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
                blocked = self.wait(event, stage, k_tile)
            case "mma":
                blocked = self.mma(event, stage, k_tile)
            case "release":
                blocked = self.release(event, stage, k_tile)
            case _:
                blocked = None
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
        k_tiles = {copy.k_tile for copy in fill.copies.values()}
        if len(k_tiles) > 1:
            raise self.fail(
                event,
                f"commit of stage {event.stage}: its copies load different k-tiles "
                + ", ".join(f"'{o}' {c.k_tile}" for o, c in fill.copies.items()),
            )
        stage.commits += 1
        stage.fill = None
        stage.unconsumed.append(event)
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
        stage.unconsumed.popleft()
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

    def mma(self, event: Event, stage: _Stage, k_tile: int | None) -> str | None:
        self.held(event, stage, k_tile)
        return None

    def release(self, event: Event, stage: _Stage, k_tile: int | None) -> str | None:
        self.held(event, stage, k_tile)
        stage.releases += 1
        stage.read = None
        return None

    def check_finished(self, role: _Role) -> None:
        for stage in self.stages:
            if role.kind != "consumer" and stage.fill is not None:
                raise self.missing_commit(stage.fill.acquire, f"before the {role.kind} ends")
            if role.kind != "producer" and stage.read is not None:
                raise self.missing_release(stage.read, f"before the {role.kind} ends")

    def check_all_consumed(self) -> None:
        for stage in self.stages:
            if stage.unconsumed:
                commit = stage.unconsumed[0]
                raise self.fail(
                    commit,
                    f"unconsumed fill: the commit of stage {commit.stage} (phase {commit.phase}) "
                    "is never waited for: the consumer takes fewer k-tiles than the producer loads",
                )


def verify_kernel(kernel: pipe.KernelOp) -> list[Launch]:
    """Check `kernel`'s ring protocol on the `launches` of each of its
    `problem_sizes`; returns the launches simulated, raises PipeirError on the
    first failure."""
    simulated = []
    for m, n, k in problem_sizes(kernel):
        for launch in launches(kernel, m, n, k):
            _Replay(kernel, launch, run_launch(kernel, launch)).run()
            simulated.append(launch)
    return simulated


def verify_pipeline(module: ModuleOp) -> dict[str, list[Launch]]:
    """Verify every kernel of `module`; returns the launches simulated per kernel."""
    verify_located(module)
    kernels = [op for op in module.walk() if isinstance(op, pipe.KernelOp)]
    return {kernel.sym_name.data: verify_kernel(kernel) for kernel in kernels}
