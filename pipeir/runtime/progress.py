"""What pipeir tells the user while it works for seconds or minutes: a progress line for
tuning (candidates compiled and timed, the best so far) and a note before a compile.

Both go to stderr, and only when stderr is a terminal or the user asked for them:
PIPEIR_PROGRESS=1 shows them everywhere (one line per step when stderr is not a
terminal, for logs), PIPEIR_PROGRESS=0 hides them; `pipeir-tune --progress` /
`--no-progress` decide for one run.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

BAR_WIDTH = 24


def progress_wanted(stream: TextIO | None = None) -> bool:
    """Whether to show progress on `stream` (default stderr): PIPEIR_PROGRESS decides
    when set (1 or 0), else whether the stream is a terminal."""
    setting = os.environ.get("PIPEIR_PROGRESS")
    if setting in ("0", "1"):
        return setting == "1"
    return _is_terminal(stream or sys.stderr)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def note(message: str) -> None:
    """One line on stderr, when progress is wanted: 'pipeir: message'."""
    if progress_wanted():
        print(f"pipeir: {message}", file=sys.stderr, flush=True)


class TuningProgress:
    """The tuner's status line: '<title>: [####....] compiled 9/24, timed 3/24, best
    0.3120 ms (tile ...)'. Rewritten in place on a terminal; one line per change
    otherwise (when asked for with PIPEIR_PROGRESS=1 or enabled=True)."""

    def __init__(self, title: str, candidates: int, enabled: bool | None = None, stream: TextIO | None = None,
                 timing: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = progress_wanted(self.stream) if enabled is None else enabled
        self.in_place = self.enabled and _is_terminal(self.stream)
        self.title = title
        self.compiled = self.timed = 0
        self.to_compile = candidates
        self.to_time = candidates if timing else 0
        self.best: tuple[float, str] | None = None
        self.stage = "compiling"
        self._show()

    def add_candidates(self, count: int, stage: str) -> None:
        """More candidates to compile and time (the finishing variants): a new stage."""
        self.to_compile += count
        self.to_time += count if self.to_time else 0
        self.stage = stage
        self._show()

    def compiled_one(self) -> None:
        self.compiled += 1
        self._show()

    def timed_one(self, ms: float | None, description: str) -> None:
        self.timed += 1
        if ms is not None and (self.best is None or ms < self.best[0]):
            self.best = (ms, description)
        self._show()

    def retimed(self, stage: str) -> None:
        """The finalists are timed again: say so without counting new candidates."""
        self.stage = stage
        self._show()

    def line(self) -> str:
        done = (self.compiled + self.timed) / max(1, self.to_compile + self.to_time)
        filled = round(done * BAR_WIDTH)
        timed = f", timed {self.timed}/{self.to_time}" if self.to_time else ""
        best = f", best {self.best[0]:.4f} ms ({self.best[1]})" if self.best else ""
        return (f"{self.title}: [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.stage}: compiled "
                f"{self.compiled}/{self.to_compile}{timed}{best}")

    def _show(self) -> None:
        if not self.enabled:
            return
        if self.in_place:
            self.stream.write(f"\r{self.line()}\x1b[K")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the line in place (the next output starts on a line of its own)."""
        if self.in_place:
            self.stream.write("\n")
            self.stream.flush()
