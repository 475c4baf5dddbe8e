"""The command-line fuzzer (pipeir.tools.fuzz_cli): a short seeded run finds no
traceback or hang, its cases depend only on (seed, index), it stays off long
compiles, and its classifier tells one clean error line from anything else."""

import pytest

from pipeir.tools import fuzz_cli


def test_short_seeded_run_has_no_failures() -> None:
    summary = fuzz_cli.fuzz(150, seed=0)
    assert not summary.failures, summary.report()
    assert summary.runs["ok"] > 0 and summary.runs["diagnostic"] > 0, summary.report()
    assert set(summary.per_tool) == {"pipeir-opt", "pipeir-gen", "pipeir-stats", "pipeir-tune"}


def test_cases_depend_only_on_seed_and_index() -> None:
    tools = fuzz_cli.tools()
    first = [fuzz_cli.make_case(5, index, tools) for index in (0, 7, 30)]
    again = [fuzz_cli.make_case(5, index, tools) for index in (30, 7, 0)][::-1]
    assert first == again
    assert [fuzz_cli.make_case(6, i, tools) for i in range(10)] != [fuzz_cli.make_case(5, i, tools) for i in range(10)]


def test_cases_stay_off_long_compiles() -> None:
    tools = fuzz_cli.tools()
    cases = [fuzz_cli.make_case(0, index, tools) for index in range(2000)]
    for case in cases:
        if case.tool == "pipeir-stats":
            assert not any(a.endswith(fuzz_cli.COMPILABLE_IR) for a in case.arguments), case
        if case.tool == "pipeir-tune":
            assert not any(a.startswith("--c") for a in case.arguments), case
    assert sum(bool(case.mutations) for case in cases) > 1000


@pytest.mark.parametrize("status, stderr, exception, expected", [
    (0, "", "", "ok"),
    (2, "pipeir-gen: error: bad\n", "", "diagnostic"),
    (1, "f.mlir:3:5: remark: refused\nf.mlir:3:5: error: boom\n", "", "diagnostic"),
    (1, "<unknown>: error: boom\n", "", "traceback"),
    (1, "f.mlir:1:1: error: one\nf.mlir:2:1: error: two\n", "", "traceback"),
    (1, "", "", "traceback"),
    (1, "Traceback (most recent call last):\n", "", "traceback"),
    (3, "pipeir-gen: error: bad\n", "", "traceback"),
    (None, "", "ValueError", "traceback"),
])
def test_classify(status, stderr, exception, expected) -> None:
    assert fuzz_cli.classify(status, stderr, exception)[0] == expected
