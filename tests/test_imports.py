"""pipeir's modules import each other without a cycle, and in layers:
dialects/ir/target < analysis < passes < lower < runtime < compiler < tune < api < ops < nn < tools."""

import ast
import pathlib

import pipeir

PACKAGE = pathlib.Path(pipeir.__file__).parent
LAYERS = [
    ("pipeir.version", "pipeir.dialects", "pipeir.ir", "pipeir.target"),
    ("pipeir.analysis",),
    ("pipeir.passes", "pipeir.build"),
    ("pipeir.lower",),
    ("pipeir.runtime",),
    ("pipeir.compiler",),
    ("pipeir.tune",),
    ("pipeir.api", "pipeir"),
    ("pipeir.ops",),
    ("pipeir.nn",),
    ("pipeir.tools",),
]


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: pathlib.Path) -> set[str]:
    """Every pipeir module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "pipeir"}


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {i for i in imports_of(path) if i in modules and i != name} for name, path in modules.items()}


def layer_of(name: str) -> int:
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    assert best is not None, f"{name} belongs to no layer"
    return best[0]


def test_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(edges[name]):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name)


def test_layers_import_only_downwards():
    upward = [
        f"{name} (layer {layer_of(name)}) imports {target} (layer {layer_of(target)})"
        for name, targets in graph().items() if name != "pipeir"
        for target in targets if layer_of(target) > layer_of(name)
    ]
    assert not upward, "\n".join(upward)
