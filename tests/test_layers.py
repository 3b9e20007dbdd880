"""The package's layers (``../shared/DESIGN.md`` §4), checked from the source text.

Every import in ``einspace/`` is read with :mod:`ast` (nothing is imported): module-level and
in-function ``import x`` / ``from x import y``, relative imports resolved to absolute names, and
``importlib.import_module("...")`` / ``__import__("...")`` with a string literal. A module that calls
``import_module`` with a computed name (``cli/main.py`` loops over a tuple of names) also depends on
every string literal in it that names a module of the package.

Rules:

1. a module imports only from its own layer or the layers below (``LAYERS``);
2. nothing inside the layers imports the facade ``einspace/__init__.py`` for names (``import
   einspace``, ``from einspace import x``, ``from .. import x`` resolving to it), except
   ``__version__``; the facade itself is the top and may import anything;
3. there is no import cycle between modules (a package's ``__init__`` is a module of its own; ``from
   . import x`` where ``x`` is a submodule is an edge to that submodule);
4. every module belongs to a layer (a new package must be placed in ``LAYERS``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

# --- the layer table: top-level module or package of einspace -> level (bottom = 0) ------------------------

LAYERS: dict[str, int] = {
    "errors": 0, "_recursion": 0,        # base
    "language": 1,                       # text <-> tree
    "types": 2,                          # tensor types, rules, evaluator, equivalence
    "generate": 3,                       # the sampler
    "variation": 4,                      # mutation, crossover
    "interpreter": 5,                    # torch modules
    "data": 6, "seeds": 6,               # tasks and seed architectures (same level)
    "training": 7, "proxies": 7,         # proxies build a task's network as training does
    "search": 8,
    "viz": 9, "analysis": 9,             # analysis: grammar fitting from a search journal
    "testing": 10,                       # Hypothesis strategies for users' tests
    "cli": 11,
}
#: names that a layer may import from the facade module itself
FACADE_NAMES_ALLOWED = frozenset({"__version__"})

PACKAGE = "einspace"
ROOT = Path(__file__).resolve().parents[1]

_DYNAMIC_IMPORTERS = {"import_module", "__import__"}


# --- the checker ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Import:
    importer: str     # dotted module name
    imported: str     # dotted module name (a module of the package, or the facade for a name from it)
    file: str         # path relative to the package's parent folder
    line: int
    names: tuple = ()  # for an import of names from the facade: the names

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of ``package`` under ``root``."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve_relative(importer: str, is_package: bool, level: int, module: str | None) -> str:
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[:-(level - 1)]
    return ".".join(base + ([module] if module else []))


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def imports_of(root: Path, package: str) -> tuple[dict[str, Path], list[Import]]:
    """Every module of ``package`` and every import of a module of ``package`` in them."""
    modules = module_files(root, package)

    def inside(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    found: list[Import] = []
    seen: set[Import] = set()
    for importer, path in modules.items():
        rel = str(path.relative_to(root))
        is_pkg = _is_package(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)

        def add(target: str, line: int, names: tuple = ()) -> None:
            imp = Import(importer, target, rel, line, names)
            if inside(target) and imp not in seen:
                seen.add(imp)
                found.append(imp)

        dynamic = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve_relative(importer, is_pkg, node.level, node.module) if node.level else node.module
                facade_names = []
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in modules:
                        add(sub, node.lineno)
                    elif base == package:
                        facade_names.append(alias.name)
                    else:
                        add(base, node.lineno)
                if facade_names:
                    add(base, node.lineno, tuple(facade_names))
            elif isinstance(node, ast.Call) and _call_name(node) in _DYNAMIC_IMPORTERS and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    name = arg.value
                    if name.startswith("."):  # import_module(".x", __package__)
                        level = len(name) - len(name.lstrip("."))
                        name = _resolve_relative(importer, is_pkg, level, name.lstrip(".") or None)
                    add(name, node.lineno)
                else:
                    dynamic = True
        if dynamic:  # names held in data and imported by a computed name
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in modules \
                        and node.value != package:
                    add(node.value, node.lineno)
    return modules, found


def layer_of(module: str, package: str, layers: dict[str, int]) -> int | None:
    """The level of a module; ``None`` for the facade (the top) or a package not in the table."""
    parts = module.split(".")
    return None if len(parts) == 1 else layers.get(parts[1])


def _layer_name(module: str, package: str, layers: dict[str, int]) -> str:
    if module == package:
        return "facade"
    top = module.split(".")[1]
    return f"{top} (layer {layers[top]})" if top in layers else f"{top} (no layer)"


def unplaced_modules(modules, found: list[Import], package: str, layers: dict[str, int]) -> list[str]:
    """Modules, and imported names of modules, whose package has no layer."""
    out = [m for m in modules if m != package and layer_of(m, package, layers) is None]
    out += [f"{i.imported} (imported at {i.where})" for i in found
            if i.imported != package and i.imported not in modules and layer_of(i.imported, package, layers) is None]
    return out


def upward_imports(found: list[Import], package: str, layers: dict[str, int]) -> list[str]:
    out = []
    for imp in found:
        if imp.importer == package or imp.imported == package:
            continue
        low, high = layer_of(imp.importer, package, layers), layer_of(imp.imported, package, layers)
        if low is not None and high is not None and high > low:
            out.append(f"{imp.where} {imp.importer} → {imp.imported}: "
                       f"{_layer_name(imp.importer, package, layers)} imports from "
                       f"{_layer_name(imp.imported, package, layers)}")
    return out


def facade_imports(found: list[Import], package: str, allowed=FACADE_NAMES_ALLOWED) -> list[str]:
    out = []
    for imp in found:
        if imp.importer == package or imp.imported != package:
            continue
        names = set(imp.names) - allowed
        if imp.names and not names:
            continue
        what = f"names {', '.join(sorted(names))} from" if names else "the module"
        out.append(f"{imp.where} {imp.importer} imports {what} the facade {package} "
                   f"(import from the module that defines them)")
    return out


def import_graph(modules, found: list[Import], package: str) -> nx.DiGraph:
    """Modules and their imports; edges into the facade are left out (rule 2 reports them)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(m for m in modules if m != package)
    for imp in found:
        if imp.imported == package:
            continue
        if graph.has_edge(imp.importer, imp.imported):
            graph.edges[imp.importer, imp.imported]["at"].append(imp.where)
        else:
            graph.add_edge(imp.importer, imp.imported, at=[imp.where])
    return graph


def import_cycles(graph: nx.DiGraph, most: int = 50) -> list[str]:
    """The simple cycles of the graph (at most ``most``, shortest first), each with where each edge is."""
    out = []
    for component in nx.strongly_connected_components(graph):
        sub = graph.subgraph(component)
        if len(component) == 1 and not any(sub.has_edge(n, n) for n in component):
            continue
        for cycle in sorted(nx.simple_cycles(sub, length_bound=len(component)), key=lambda c: (len(c), c)):
            # start each cycle at its smallest module, so that the messages are stable
            i = cycle.index(min(cycle))
            cycle = cycle[i:] + cycle[:i]
            steps = [f"{a} ({', '.join(graph.edges[a, b]['at'])})" for a, b in zip(cycle, cycle[1:] + cycle[:1])]
            out.append(" → ".join(steps) + f" → {cycle[0]}")
    return sorted(set(out), key=lambda s: (s.count("→"), s))[:most]


def check(root: Path, package: str, layers: dict[str, int]) -> dict[str, list[str]]:
    """Every violation, by rule."""
    modules, found = imports_of(root, package)
    return {
        "unplaced": unplaced_modules(modules, found, package, layers),
        "upward": upward_imports(found, package, layers),
        "facade": facade_imports(found, package),
        "cycles": import_cycles(import_graph(modules, found, package)),
    }


def _message(title: str, items: list[str]) -> str:
    return f"{len(items)} {title}:\n  " + "\n  ".join(items)


# --- the rules, on the package -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def violations() -> dict[str, list[str]]:
    return check(ROOT, PACKAGE, LAYERS)


def test_every_module_has_a_layer(violations):
    assert not violations["unplaced"], _message("modules in no layer (add their package to LAYERS)",
                                                violations["unplaced"])


def test_no_import_from_a_higher_layer(violations):
    assert not violations["upward"], _message("imports from a higher layer", violations["upward"])


def test_no_import_of_the_facade(violations):
    assert not violations["facade"], _message("imports of the facade from inside the layers", violations["facade"])


def test_no_import_cycles(violations):
    assert not violations["cycles"], _message("import cycles (each module with the file:lines where it imports the next)",
                                              violations["cycles"])


def test_the_scan_sees_the_package():
    """Guards against a scan that silently finds nothing (a moved folder, a wrong root)."""
    modules, found = imports_of(ROOT, PACKAGE)
    assert {"einspace.errors", "einspace.language.ast", "einspace.cli.main"} <= set(modules)
    assert any(i.importer == "einspace.types.evaluator" and i.imported.startswith("einspace.language.")
               for i in found)


# --- the checker, on a package made to break every rule ----------------------------------------------------

def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checker_finds_each_kind_of_violation(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "from .low.a import f\n__version__ = '1'\nthing = 1\n",
        "pkg/errors.py": "",
        "pkg/low/__init__.py": "",
        "pkg/low/a.py": ("from pkg import __version__\n"           # allowed
                         "from ..errors import *\n"                # downward: fine
                         "def f():\n"
                         "    from ..high import b\n"              # upward, inside a function
                         "    return b\n"),
        "pkg/low/d.py": ("import importlib\n"
                         "def g():\n"
                         "    from .. import thing\n"              # a name from the facade
                         "    return importlib.import_module('pkg.high.c')\n"),  # upward, dynamic
        "pkg/high/__init__.py": "",
        "pkg/high/b.py": "from . import c\n",                      # b → c ...
        "pkg/high/c.py": "def h():\n    import pkg.high.b\n",      # ... → b: a cycle
        "pkg/high/e.py": "from pkg.gone import y\n",              # a module that is not there, in no layer
        "pkg/stray/x.py": "",                                      # a package in no layer
    })
    found = check(tmp_path, "pkg", {"errors": 0, "low": 1, "high": 2})

    assert found["unplaced"] == ["pkg.stray.x", "pkg.gone (imported at pkg/high/e.py:1)"]
    assert sorted(found["upward"]) == [
        "pkg/low/a.py:4 pkg.low.a → pkg.high.b: low (layer 1) imports from high (layer 2)",
        "pkg/low/d.py:4 pkg.low.d → pkg.high.c: low (layer 1) imports from high (layer 2)",
    ]
    assert len(found["facade"]) == 1 and found["facade"][0].startswith("pkg/low/d.py:3 pkg.low.d imports names thing")
    assert found["cycles"] == ["pkg.high.b (pkg/high/b.py:1) → pkg.high.c (pkg/high/c.py:2) → pkg.high.b"]


def test_the_checker_passes_a_clean_package(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "from .high.b import g\n",
        "pkg/low/__init__.py": "from .a import f\n",
        "pkg/low/a.py": "def f():\n    return 1\n",
        "pkg/high/__init__.py": "",
        "pkg/high/b.py": "from ..low import f\nfrom pkg.low.a import f as f2\nfrom pkg import __version__\n",
    })
    assert check(tmp_path, "pkg", {"low": 1, "high": 2}) == {"unplaced": [], "upward": [], "facade": [], "cycles": []}
