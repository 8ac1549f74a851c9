"""DESIGN.md's layers, checked on the source: dialects are siblings (none imports another),
the core (services/) knows no Flask and no dialect, models know no service, edge/ knows no
dialect, and no product module imports itself round a cycle."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("commands", "api_v1", "smtp", "tracking", "ui", "dialects", "edge", "services", "models")
DIALECTS = {"commands", "api_v1", "smtp", "tracking", "ui"}
TOP_MODULES = ("app", "wsgi", "cli", "config", "clock", "logs", "vocabulary")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py") if (ROOT / package).is_dir() else ():
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    for name in TOP_MODULES:
        if (ROOT / f"{name}.py").exists():
            found[name] = ROOT / f"{name}.py"
    return found


def _imports(path: Path, known=()) -> set[str]:
    """What a module imports, at any depth of its code; `from pkg import mod` counts as pkg.mod."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                names.add(sub if sub in known else node.module)
    return names


def _family(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "dialects" and len(parts) > 1 else parts[0]


def _is_dialect(family: str) -> bool:
    return family in DIALECTS or family.startswith("dialects.")


MODULES = _modules()
EXTERNAL = {name: _imports(path, MODULES) for name, path in MODULES.items()}
GRAPH = {name: {i for i in imported if i in MODULES} for name, imported in EXTERNAL.items()}


def test_the_layers_point_down_only():
    wrong = []
    for module, imported in EXTERNAL.items():
        mine = _family(module)
        for name in imported:
            other = _family(name)
            if _is_dialect(mine) and _is_dialect(other) and other != mine:
                wrong.append(f"{module}: a dialect imports another dialect ({name})")
            if mine in ("services", "edge", "models") and _is_dialect(other):
                wrong.append(f"{module}: {mine} imports a dialect ({name})")
            if mine == "services" and (name.split(".")[0] in ("flask", "werkzeug", "edge")):
                wrong.append(f"{module}: the core imports {name}")
            if mine == "models" and other == "services":
                wrong.append(f"{module}: a model imports a service ({name})")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_no_import_cycles():
    cycles, state = [], {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_the_check_sees_the_product():
    assert {"commands.dispatcher", "api_v1", "services.sending", "models.db", "edge.params", "app"} <= set(MODULES)
