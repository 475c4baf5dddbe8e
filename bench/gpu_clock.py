"""What the GPU's clock and power did while each kernel was timed.

A matrix product's rate is bounded by the SM clock: an H100 retires 4096 dense 16-bit
(8192 fp8) tensor-core FLOPs per SM per cycle, so a kernel at X TFLOP/s needs a
clock of at least X / (SMs x FLOPs per cycle). `ClockSampler` runs
`nvidia-smi --loop-ms` beside the timings and attributes each sample, by its
timestamp, to the kernel being timed when it was taken, so a table can show each
kernel's median SM clock, its power draw and its share of the tensor-core peak at the
clock it actually ran at.
"""

from __future__ import annotations

import contextlib
import datetime
import statistics
import subprocess
import threading

import torch

DENSE_TENSOR_FLOPS_PER_SM_CYCLE = {"16-bit": 4096, "fp8": 8192}
"""sm_90: 4 tensor cores per SM, each 512 dense 16-bit FMAs (1024 fp8 FMAs) per cycle."""
FIELDS = ("timestamp,clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active",
          "timestamp,clocks.sm,power.draw,temperature.gpu,clocks_throttle_reasons.active")
"""The same query under the newer and the older driver's name for the reasons field."""
SAMPLE_MS = 20
PEAK_DESCRIPTION = (
    f"{DENSE_TENSOR_FLOPS_PER_SM_CYCLE['16-bit']} dense 16-bit "
    f"({DENSE_TENSOR_FLOPS_PER_SM_CYCLE['fp8']} fp8) FLOPs per SM per cycle"
)


def nvidia_smi_id() -> str:
    """The current torch device as nvidia-smi names it (PCI bus id; the two tools may
    number devices differently)."""
    properties = torch.cuda.get_device_properties(torch.cuda.current_device())
    parts = [getattr(properties, f"pci_{part}_id", None) for part in ("domain", "bus", "device")]
    if None in parts:
        return str(torch.cuda.current_device())
    domain, bus, device = parts
    return f"{domain:08X}:{bus:02X}:{device:02X}.0"


def device_limits() -> dict[str, str]:
    """The clock and power limits nvidia-smi reports for the device ({} without nvidia-smi)."""
    fields = "clocks.max.sm,clocks.applications.graphics,power.limit,power.max_limit"
    try:
        line = subprocess.run(
            ["nvidia-smi", f"--id={nvidia_smi_id()}", f"--query-gpu={fields}", "--format=csv,noheader"],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {}
    return dict(zip(fields.split(","), (value.strip() for value in line.split(","))))


class ClockSampler:
    """Samples the device every SAMPLE_MS while active; `timing(label)` marks the
    window of wall-clock time that belongs to a kernel. Samples are matched to
    windows by nvidia-smi's own timestamps, so output buffering cannot misplace them."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.windows: list[tuple[str, datetime.datetime, datetime.datetime]] = []
        self.process: subprocess.Popen | None = None
        self.reader: threading.Thread | None = None
        self.samples: list[tuple[datetime.datetime, float, float, str]] = []
        """(taken, SM MHz, W, clock-event reasons), parsed once the sampler has stopped."""

    def __enter__(self) -> "ClockSampler":
        query = ["nvidia-smi", f"--id={nvidia_smi_id()}", "--format=csv,noheader,nounits"]
        for fields in FIELDS:
            try:
                subprocess.run([*query, f"--query-gpu={fields}"], capture_output=True, check=True, timeout=30)
            except (OSError, subprocess.SubprocessError):
                continue
            self.process = subprocess.Popen(
                [*query, f"--query-gpu={fields}", f"--loop-ms={SAMPLE_MS}"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            break
        else:
            return self  # no nvidia-smi that answers: the table shows no clock
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()
        return self

    def __exit__(self, *_) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.reader.join(timeout=10)
        self.samples = [sample for sample in map(parse_sample, self.lines) if sample is not None]

    @contextlib.contextmanager
    def timing(self, label: str):
        torch.cuda.synchronize()
        started = datetime.datetime.now()
        try:
            yield
        finally:
            torch.cuda.synchronize()
            self.windows.append((label, started, datetime.datetime.now()))

    def summary(self, label: str) -> dict | None:
        """Median SM clock (MHz) and power (W) over the samples taken while `label` was
        timed, their count, and the clock-event reasons seen (a bit mask per sample).
        Read it after the sampler has stopped."""
        windows = [(start, end) for name, start, end in self.windows if name == label]
        inside = [
            (clock, watts, reasons) for taken, clock, watts, reasons in self.samples
            if any(start <= taken <= end for start, end in windows)
        ]
        if not inside:
            return None
        return dict(
            mhz=statistics.median(clock for clock, _, _ in inside),
            watts=statistics.median(watts for _, watts, _ in inside),
            count=len(inside),
            reasons=sorted({reasons for _, _, reasons in inside}),
        )


def parse_sample(line: str) -> tuple[datetime.datetime, float, float, str] | None:
    """One nvidia-smi line of FIELDS, or None for a line that is not a sample."""
    values = [value.strip() for value in line.split(",")]
    if len(values) != 5:
        return None
    try:
        taken = datetime.datetime.strptime(values[0], "%Y/%m/%d %H:%M:%S.%f")
        return taken, float(values[1]), float(values[2]), values[4]
    except ValueError:
        return None


def share_of_peak(tflops: float, mhz: float, dtype: str) -> float:
    """Measured rate over the dense tensor-core peak at clock `mhz` on this device."""
    width = "fp8" if dtype.startswith("f8") else "16-bit"
    sms = torch.cuda.get_device_properties(torch.cuda.current_device()).multi_processor_count
    return tflops * 1e12 / (sms * DENSE_TENSOR_FLOPS_PER_SM_CYCLE[width] * mhz * 1e6)
