"""The buffers a split-K kernel's reduction needs beside its tensors: the f32 workspace of
partial tiles and the int32 tickets, one per output tile slot (pipeir.target.schedule,
pipeir/lower/cute/sm90/scheduler_split_k.py).

They are allocated by the first call that needs them and reused: the tickets are zeroed
once, when allocated, and every complete launch leaves them zero again (the unit that
completes a tile resets its ticket), so a call costs no memset. One pair is kept per
device and CUDA stream: launches on one stream run in order, and launches on different
streams get different buffers, so concurrent streams are safe. A larger problem (a new
M of a dynamic-M kernel) grows the pair; the old buffers go back to PyTorch's caching
allocator, which reuses them only after the stream's earlier work. Inside CUDA graph
capture no buffer may be allocated: call the kernel once on the stream before
capturing (the captured launches then reuse the buffers of the capturing stream).
"""

from __future__ import annotations

import torch

from pipeir.dialects import pipe
from pipeir.target import schedule


class SplitKWorkspace:
    """The workspace and tickets of one split-K kernel, per device and stream."""

    def __init__(self, kernel: pipe.KernelOp):
        self.tile = kernel.tile_shape
        self.cluster = kernel.cluster_shape
        self.splits = kernel.split_k_count
        self.swap_ab = kernel.is_swap_ab
        self.buffers: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]] = {}

    def arguments(self, m: int, n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(workspace, tickets) for a product of M x N on `device`'s current stream."""
        rows, columns = (n, m) if self.swap_ab else (m, n)  # the MMA's product D
        tile_m, tile_n, _ = self.tile
        tiles_m, tiles_n = schedule.ceil_div(rows, tile_m), schedule.ceil_div(columns, tile_n)
        elements = schedule.split_k_workspace_elements(self.tile, self.cluster, self.splits, tiles_m, tiles_n)
        tickets = schedule.split_k_ticket_count(tiles_m, tiles_n, *self.cluster)
        key = (device.index, torch.cuda.current_stream(device).cuda_stream)
        held = self.buffers.get(key)
        if held is None or held[0].numel() < elements or held[1].numel() < tickets:
            held = self.buffers[key] = (
                torch.empty(elements, dtype=torch.float32, device=device),
                torch.zeros(tickets, dtype=torch.int32, device=device),
            )
        return held


def with_split_k_buffers(function, workspace: SplitKWorkspace):
    """A split-K kernel's entry point taking what every kernel takes, (a, b, c, *operands):
    `function` with the workspace and tickets for c's shape, device and current stream
    appended."""

    def launch(*arguments):
        output = arguments[2] if len(arguments) > 2 else None
        if not isinstance(output, torch.Tensor) or output.dim() != 2:
            return function(*arguments)  # TVM-FFI refuses the call and says why
        return function(*arguments, *workspace.arguments(*output.shape, output.device))

    return launch
