"""Static SASS statistics of a generated CuTe DSL kernel module (CPU only).

The generated module (see ``pipeir.lower.cute.sm90.kernel``) exposes
``compile_kernel(options=..., extra_options=...)``.  We compile it for
``sm_90a`` with ``--keep-cubin --dump-dir <tmp>`` (nvidia-cutlass-dsl 4.8.1
compile options; the environment equivalent is ``CUTE_DSL_KEEP=cubin`` +
``CUTE_DSL_DUMP_DIR``), disassemble the cubin with ``nvdisasm -c`` from the
``nvidia-cuda-nvdisasm`` wheel and count, per kernel:

* ``utmaldg``   static ``UTMALDG`` sites (TMA loads)
* ``utmastg``   static ``UTMASTG`` sites (TMA stores)
* ``gmma``      ``HGMMA`` + ``QGMMA`` (+ ``IGMMA``) sites (sm_90a WGMMA)
* ``umma``      ``UTCHMMA`` / ``UTCQMMA`` / ... sites (sm_100a tcgen05 UMMA)
* ``s2ur``      ``S2UR`` sites; ``s2ur_in_loop`` those inside any loop,
                ``s2ur_in_k_loop`` those inside a "K loop"
* ``syncs``     ``SYNCS.*`` sites (mbarrier ops)
* ``instructions`` total instructions (``nop`` NOPs excluded, see ``nops``)
* ``registers`` register count at launch (EIATTR_REGCOUNT of the cubin;
                setmaxnreg then moves it per warpgroup); ``frame_size`` stack
* ``spill_loads``/``spill_stores``  ``LDL``/``STL`` sites

Loops are found from backward branches: a ``BRA`` to a label at a lower (or
equal) address closes the loop ``[label, bra]``.  A *K loop* is an innermost
loop among those whose range contains a UTMALDG, a GMMA or a UMMA (mbarrier
spin-wait loops contain none, so they are not K loops; the persistent tile loop
contains the K loops, so it is not innermost). A branch back from an out-of-line
stub is no loop: ptxas moves the retry of an mbarrier wait to the end of the
function (``@!P0 BRA stub`` ... ``stub: ...; BRA back``), and the unconditional
branch back to the instruction after the one that entered the stub would
otherwise make everything in between look like a loop.

CLI: ``pipeir-stats KERNEL.py [--json] [--sass-out FILE]`` (or
``python -m pipeir.tools.stats KERNEL.py``) compiles the generated file
and prints the stats of every kernel in it.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from typing import NoReturn, Optional, Union

PROG = "pipeir-stats"

__all__ = [
    "SassStats",
    "Loop",
    "find_nvdisasm",
    "compile_to_cubin",
    "disassemble",
    "parse_sass",
    "cubin_register_counts",
    "stats_for_module",
    "main",
]


@dataclasses.dataclass
class Loop:
    start: int  # address of the first instruction after the target label
    end: int    # address of the backward BRA
    label: str
    is_k_loop: bool = False


@dataclasses.dataclass
class SassStats:
    kernel: str
    utmaldg: int = 0
    utmastg: int = 0
    gmma: int = 0
    umma: int = 0
    s2ur: int = 0
    s2ur_in_loop: int = 0
    s2ur_in_k_loop: int = 0
    syncs: int = 0
    instructions: int = 0
    nops: int = 0
    registers: Optional[int] = None
    frame_size: Optional[int] = None  # local-memory stack bytes per thread
    spill_loads: int = 0
    spill_stores: int = 0
    loops: list[Loop] = dataclasses.field(default_factory=list)
    # every S2UR: (address, special register, in any loop, in a K loop)
    s2ur_sites: list[tuple[int, str, bool, bool]] = dataclasses.field(default_factory=list)

    @property
    def spills(self) -> int:
        return self.spill_loads + self.spill_stores

    @property
    def num_loops(self) -> int:
        return len(self.loops)

    @property
    def num_k_loops(self) -> int:
        return sum(1 for l in self.loops if l.is_k_loop)

    def summary(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("loops")
        d.pop("s2ur_sites")
        d["s2ur_k_loop_sregs"] = sorted({r for _, r, _, k in self.s2ur_sites if k})
        d["spills"] = self.spills
        d["num_loops"] = self.num_loops
        d["num_k_loops"] = self.num_k_loops
        return d


# -----------------------------------------------------------------------------
# tools
# -----------------------------------------------------------------------------

class MissingDisassembler(RuntimeError):
    """No nvdisasm to disassemble the cubin with."""


class StatsInputError(ValueError):
    """A KERNEL argument pipeir-stats cannot compile (not IR, not a generated module)."""


def find_nvdisasm() -> str:
    """nvdisasm from the nvidia-cuda-nvdisasm wheel, else $PATH / CUDA_HOME."""
    try:
        import nvidia  # namespace package
        for base in list(getattr(nvidia, "__path__", [])):
            for cand in sorted(glob.glob(os.path.join(base, "*", "bin", "nvdisasm"))):
                if os.access(cand, os.X_OK):
                    return cand
    except ImportError:
        pass
    cand = shutil.which("nvdisasm")
    if cand:
        return cand
    for home in (os.environ.get("CUDA_HOME"), "/usr/local/cuda"):
        if home and os.access(os.path.join(home, "bin", "nvdisasm"), os.X_OK):
            return os.path.join(home, "bin", "nvdisasm")
    raise MissingDisassembler(
        "nvdisasm not found: install it with 'pip install nvidia-cuda-nvdisasm' "
        "(or put a CUDA toolkit's nvdisasm on PATH)")


def _load_module(module_or_path):
    if isinstance(module_or_path, (str, os.PathLike)):
        return import_generated_module(str(module_or_path))
    return module_or_path


def compile_to_cubin(module_or_path, dump_dir: Optional[str] = None,
                     arch: str = "sm_90a") -> list[pathlib.Path]:
    """Compile a generated module (object or .py path) and return its cubins.

    Needs no GPU: the arch is given explicitly.  ``CUTE_DSL_ARCH`` is also
    defaulted to ``arch`` (it must be set before cutlass reads it)."""
    os.environ.setdefault("CUTE_DSL_ARCH", arch)
    mod = _load_module(module_or_path)
    if dump_dir is None:
        dump_dir = tempfile.mkdtemp(prefix="pipeir_sass_")
    os.makedirs(dump_dir, exist_ok=True)  # the DSL does not create it
    before = set(glob.glob(os.path.join(dump_dir, "*.cubin")))
    mod.compile_kernel(extra_options=f"--gpu-arch {arch} --keep-cubin --dump-dir {dump_dir}")
    cubins = sorted(set(glob.glob(os.path.join(dump_dir, "*.cubin"))) - before)
    if not cubins:
        cubins = sorted(glob.glob(os.path.join(dump_dir, "*.cubin")))
    if not cubins:
        raise RuntimeError(f"no cubin was written to {dump_dir}")
    return [pathlib.Path(c) for c in cubins]


def disassemble(cubin: Union[str, os.PathLike]) -> str:
    out = subprocess.run([find_nvdisasm(), "-c", str(cubin)], check=True,
                         capture_output=True, text=True)
    return out.stdout


# -----------------------------------------------------------------------------
# ELF: register counts (EIATTR_REGCOUNT in .nv.info, keyed by kernel symbol)
# -----------------------------------------------------------------------------

_EIATTR_REGCOUNT = 0x2F
_EIATTR_FRAME_SIZE = 0x11


def _cubin_info(cubin: Union[str, os.PathLike]) -> dict[str, dict[str, int]]:
    """{kernel: {"registers": n, "frame_size": bytes}} from the cubin's
    ``.nv.info`` section (EIATTR_REGCOUNT / EIATTR_FRAME_SIZE entries)."""
    data = pathlib.Path(cubin).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return {}
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def sh(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)

    def cstr(base, off):
        end = data.index(b"\0", base + off)
        return data[base + off:end].decode()

    shstr = sh(e_shstrndx)[4]
    sections = [sh(i) for i in range(e_shnum)]
    names = [cstr(shstr, s[0]) for s in sections]
    symnames: dict[int, str] = {}
    for s, n in zip(sections, names):
        if n == ".symtab":
            strtab = sections[s[6]][4]
            for j in range(s[5] // 24):
                st_name = struct.unpack_from("<I", data, s[4] + 24 * j)[0]
                symnames[j] = cstr(strtab, st_name)
    out: dict[str, dict[str, int]] = {}
    for s, n in zip(sections, names):
        if n != ".nv.info":
            continue
        off, end = s[4], s[4] + s[5]
        while off + 4 <= end:
            fmt, attr = data[off], data[off + 1]
            if fmt == 0x04:  # EIFMT_SVAL: u16 size + payload
                size, = struct.unpack_from("<H", data, off + 2)
                if attr in (_EIATTR_REGCOUNT, _EIATTR_FRAME_SIZE) and size == 8:
                    sym, val = struct.unpack_from("<II", data, off + 4)
                    key = "registers" if attr == _EIATTR_REGCOUNT else "frame_size"
                    out.setdefault(symnames.get(sym, str(sym)), {})[key] = val
                off += 4 + size
            else:
                off += 4
    return out


def cubin_register_counts(cubin: Union[str, os.PathLike]) -> dict[str, int]:
    """{kernel: registers per thread at launch} from the cubin."""
    return {k: v["registers"] for k, v in _cubin_info(cubin).items() if "registers" in v}


# -----------------------------------------------------------------------------
# SASS parsing
# -----------------------------------------------------------------------------

_SECTION_RE = re.compile(r"^\s*\.section\s+\.text\.([^,\s]+)")
_LABEL_RE = re.compile(r"^\s*(\.L[\w.]+):")
_INST_RE = re.compile(
    r"^\s*/\*([0-9a-fA-F]+)\*/\s+(?:\{\s*)?(@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*)((?:\.[A-Z0-9_]+)*)(.*)$")
_BRA_TARGET_RE = re.compile(r"`\((\.L[\w.]+)\)")
GMMA_OPCODES = ("HGMMA", "QGMMA", "IGMMA")
_UMMA_RE = re.compile(r"^UTC[A-Z]*MMA$")


def is_umma(op: str) -> bool:
    return bool(_UMMA_RE.match(op))


def _parse_one(kernel: str, lines: list[str]) -> SassStats:
    st = SassStats(kernel=kernel)
    insts: list[tuple[int, str, str]] = []  # (addr, opcode, full text)
    label_addr: dict[str, int] = {}
    pending: list[str] = []
    branches: list[tuple[int, str]] = []
    branch_target: dict[int, str] = {}  # address of a branch -> its target label
    predicated: set[int] = set()  # addresses of predicated instructions
    for line in lines:
        m = _LABEL_RE.match(line)
        if m:
            pending.append(m.group(1))
            continue
        m = _INST_RE.match(line)
        if not m:
            continue
        addr = int(m.group(1), 16)
        op = m.group(3)
        for lab in pending:
            label_addr[lab] = addr
        pending = []
        insts.append((addr, op, line))
        if m.group(2):
            predicated.add(addr)
        if op in ("BRA", "JMP", "BRX"):
            t = _BRA_TARGET_RE.search(line)
            if t:
                branches.append((addr, t.group(1)))
                branch_target[addr] = t.group(1)
    for lab in pending:  # labels at the very end
        label_addr[lab] = insts[-1][0] + 16 if insts else 0

    previous = {b[0]: a[0] for a, b in zip(insts, insts[1:])}

    def returns_from_stub(addr: int, tgt: int) -> bool:
        """An unconditional branch back to `tgt`, right after a predicated branch into
        a stub that holds `addr` (the stub's way back, not a loop)."""
        entry = previous.get(tgt)
        stub = label_addr.get(branch_target.get(entry, ""), -1)
        return addr not in predicated and entry in predicated and tgt < stub <= addr

    loops = []
    for addr, lab in branches:
        tgt = label_addr.get(lab)
        if tgt is not None and tgt <= addr and not returns_from_stub(addr, tgt):
            loops.append(Loop(start=tgt, end=addr, label=lab))

    def in_range(a, l):
        return l.start <= a <= l.end

    work_addrs = [a for a, op, _ in insts if op == "UTMALDG" or op in GMMA_OPCODES or is_umma(op)]
    candidates = [l for l in loops if any(in_range(a, l) for a in work_addrs)]
    for l in candidates:
        inner = [o for o in candidates if o is not l and l.start <= o.start and o.end <= l.end
                 and (o.start, o.end) != (l.start, l.end)]
        l.is_k_loop = not inner
    st.loops = sorted(loops, key=lambda l: (l.start, l.end))

    for addr, op, text in insts:
        if op == "NOP":
            st.nops += 1
            continue
        st.instructions += 1
        if op == "UTMALDG":
            st.utmaldg += 1
        elif op == "UTMASTG":
            st.utmastg += 1
        elif op in GMMA_OPCODES:
            st.gmma += 1
        elif is_umma(op):
            st.umma += 1
        elif op == "S2UR":
            st.s2ur += 1
            in_loop = any(in_range(addr, l) for l in loops)
            in_k = any(in_range(addr, l) for l in loops if l.is_k_loop)
            st.s2ur_in_loop += in_loop
            st.s2ur_in_k_loop += in_k
            sreg = re.search(r"\b(SR_\w+(?:\.\w+)?)", text)
            st.s2ur_sites.append((addr, sreg.group(1) if sreg else "?", in_loop, in_k))
        elif op == "SYNCS":
            st.syncs += 1
        elif op == "LDL":
            st.spill_loads += 1
        elif op == "STL":
            st.spill_stores += 1
    return st


def parse_sass(sass: str) -> dict[str, SassStats]:
    """Split ``nvdisasm`` output into kernels and compute their stats."""
    kernels: dict[str, list[str]] = {}
    cur: Optional[str] = None
    for line in sass.splitlines():
        m = _SECTION_RE.match(line)
        if m:
            cur = m.group(1)
            kernels.setdefault(cur, [])
            continue
        if cur is not None:
            kernels[cur].append(line)
    return {k: _parse_one(k, v) for k, v in kernels.items()}


def stats_for_module(module_or_path, dump_dir: Optional[str] = None,
                     arch: str = "sm_90a", sass_out: Optional[str] = None
                     ) -> dict[str, SassStats]:
    """Compile a generated module (object or path) and return per-kernel stats."""
    result: dict[str, SassStats] = {}
    texts = []
    for cubin in compile_to_cubin(module_or_path, dump_dir, arch):
        sass = disassemble(cubin)
        texts.append(sass)
        info = _cubin_info(cubin)
        for k, st in parse_sass(sass).items():
            st.registers = info.get(k, {}).get("registers")
            st.frame_size = info.get(k, {}).get("frame_size")
            result[k] = st
    if sass_out:
        pathlib.Path(sass_out).write_text("\n".join(texts))
    return result


KERNEL_SUFFIXES = (".mlir", ".py")
DEFAULT_ARCH = "sm_90a"


def load_kernel(path: str, arch: Optional[str] = None):
    """(a generated CuTe DSL module, its architecture): from its .py file (built for
    `arch`, sm_90a by default: a module does not say), or lowered from `pipe` IR (.mlir)
    once its ring protocol is proved (pipeir.analysis.protocol), for the IR's arch, which
    `arch` must match when given."""
    if not path.endswith(KERNEL_SUFFIXES):
        raise StatsInputError(
            f"{path}: expected `pipe` IR (.mlir) or a module generated by the lowering (.py)")
    if path.endswith(".py"):
        arch = arch or DEFAULT_ARCH
        os.environ.setdefault("CUTE_DSL_ARCH", arch)
        return import_generated_module(path), arch
    from pipeir.analysis.interp import kernel_of
    from pipeir.analysis.protocol import verify_pipeline
    from pipeir.ir import make_context, parse_module
    from pipeir.lower import lower_module
    from pipeir.runtime.sources import load_kernel_module

    with open(path, "rb") as stream:
        data = stream.read()
    try:
        text = data.decode()
    except UnicodeDecodeError as error:
        raise StatsInputError(f"{path}: not UTF-8 text ({error.reason})") from None
    module = parse_module(make_context(), text, path)
    verify_pipeline(module)  # also verifies the IR
    kernel_arch = kernel_of(module).arch.data
    if arch is not None and arch != kernel_arch:
        raise StatsInputError(f"{path}: the kernel is built for {kernel_arch}, not --arch {arch}")
    os.environ.setdefault("CUTE_DSL_ARCH", kernel_arch)
    return load_kernel_module(lower_module(module)), kernel_arch


def import_generated_module(path: str):
    """Import a .py file that pipeir's lowering wrote; anything else is a user error."""
    from pipeir.runtime.sources import import_kernel_file

    try:
        module = import_kernel_file(path)
    except OSError:
        raise  # a missing or unreadable file: main says so
    except Exception as error:  # whatever a foreign file raises on import
        raise StatsInputError(
            f"{path}: not a module generated by pipeir's lowering "
            f"({type(error).__name__} on import)") from None
    if not callable(getattr(module, "compile_kernel", None)):
        raise StatsInputError(
            f"{path}: not a module generated by pipeir's lowering (no compile_kernel)")
    return module


def main(argv: Optional[list[str]] = None) -> int:
    """``pipeir-stats KERNEL.{mlir,py} [--json] [--sass-out FILE] [--dump-dir DIR]``

    KERNEL is `pipe` IR (protocol-checked, then lowered) or a module emitted by the
    lowering. Compiles it on the CPU (no GPU needed) for the IR's architecture (a
    generated module: ``--arch``, default sm_90a) and prints per-kernel static SASS
    statistics (a table, or JSON with ``--json``)."""
    from pipeir.ir import PipeirError
    from pipeir.runtime.objects import LOWERED_ARCHS
    from pipeir.version import __version__

    ap = argparse.ArgumentParser(prog=PROG, description=main.__doc__)
    ap.error = fail
    ap.add_argument("kernel", help="pipe IR (.mlir) or a generated CuTe DSL module (.py)")
    ap.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--sass-out", default=None, help="write the disassembly here")
    ap.add_argument("--dump-dir", default=None, help="keep the cubin here")
    ap.add_argument("--arch", choices=LOWERED_ARCHS, default=None,
                    help=f"target architecture: the IR's (it must match), or {DEFAULT_ARCH} for a "
                         "generated module")
    args = ap.parse_args(argv)
    try:
        find_nvdisasm()  # before a compile of many seconds, not after
        module, arch = load_kernel(args.kernel, args.arch)
        stats = stats_for_module(module, dump_dir=args.dump_dir, arch=arch, sass_out=args.sass_out)
    except PipeirError as error:
        print(error, file=sys.stderr)
        return 1
    except (MissingDisassembler, StatsInputError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        # strerror is None for an OSError raised with a message only (not by a system call)
        print(f"{PROG}: error: {error.filename or args.kernel}: {error.strerror or error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({k: v.summary() for k, v in stats.items()}, indent=2))
    else:
        for k, v in stats.items():
            print(f"kernel {k}")
            for key, val in v.summary().items():
                if key != "kernel":
                    print(f"  {key:16s} {val}")
    return 0


def fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    sys.exit(main())
