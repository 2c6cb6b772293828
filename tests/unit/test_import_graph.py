"""The first-party packages import one another without cycles, and at the top of their modules.

The graph is read from the source (no module is imported): every `import` and `from … import` of
certification/, workflows/, standards/ and worker/, those inside functions included, since an import moved
into a function to dodge a cycle still leaves the cycle. `if TYPE_CHECKING:` blocks are not run, so they
are left out. Importing `a.b.c` also runs the `a` and `a.b` packages' `__init__`, so those are edges too
(except towards the importer's own packages, which are already running).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("certification", "workflows", "standards", "worker")

# Function-level imports still waiting for their module to be reorganised, by module or "module:function".
# Keep it short: every entry names who removes it; an entry that no longer matches anything fails the test.
ALLOWED_FUNCTION_IMPORTS = {
    "certification.evidence.views": "owned by storage, removed at merge",
}
# Cycles still waiting to be broken, as the set of their modules.
ALLOWED_CYCLES: dict[frozenset[str], str] = {}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    line: int
    function: str | None  # the enclosing function, None at module level (or in a class body)
    targets: frozenset[str]  # first-party modules it runs


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module `name` denotes: itself, or its longest prefix that is a module (`pkg.mod.function`)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skipped: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for child in ast.walk(node)}
    return skipped


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict[str, Path]) -> set[str]:
    if isinstance(node, ast.Import):
        named = {_resolve(alias.name, modules) for alias in node.names}
    else:
        if node.level:  # relative: from the importer's package, one level up per extra dot
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        # `from pkg import mod` runs pkg.mod; `from mod import name` runs mod
        submodules = {_resolve(f"{source}.{alias.name}", modules) for alias in node.names}
        named = {s for s in submodules if s != _resolve(source, modules)} or {_resolve(source, modules)}
    named.discard(None)
    targets = set(named)
    for target in named:  # the packages' __init__ run first
        parts = target.split(".")
        for k in range(1, len(parts)):
            package = ".".join(parts[:k])
            if package in modules and not (module == package or module.startswith(package + ".")):
                targets.add(package)
    targets.discard(module)
    return targets


def _enclosing_functions(tree: ast.Module) -> dict[int, str]:
    owner: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(node):
                if child is not node:
                    owner.setdefault(id(child), node.name)  # the outermost function: walk meets it first
    return owner


def first_party_imports() -> list[Import]:
    modules = _modules()
    found = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skipped = _type_checking_nodes(tree)
        functions = _enclosing_functions(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in skipped:
                continue
            targets = _targets(node, module, path.name == "__init__.py", modules)
            if targets:
                found.append(Import(module, node.lineno, functions.get(id(node)), frozenset(targets)))
    return found


def cycles(imports: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.module, set()).update(imp.targets)
        for target in imp.targets:
            graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _describe(component: list[str], imports: list[Import]) -> str:
    members = set(component)
    edges = sorted(
        f"  {imp.module}:{imp.line} -> {', '.join(sorted(imp.targets & members))}"
        + (f" (inside {imp.function})" if imp.function else "")
        for imp in imports
        if imp.module in members and imp.targets & members
    )
    return f"cycle of {len(component)} modules: {', '.join(component)}\n" + "\n".join(edges)


def test_first_party_modules_import_one_another_without_cycles():
    imports = first_party_imports()
    found = cycles(imports)
    unexpected = [c for c in found if frozenset(c) not in ALLOWED_CYCLES]
    assert not unexpected, "\n\n".join(_describe(c, imports) for c in unexpected)
    stale = set(ALLOWED_CYCLES) - {frozenset(c) for c in found}
    assert not stale, f"these allowed cycles are gone: remove them from ALLOWED_CYCLES: {sorted(map(sorted, stale))}"


def test_first_party_imports_are_at_the_top_of_their_modules():
    nested = [imp for imp in first_party_imports() if imp.function is not None]
    used = set()
    offenders = []
    for imp in nested:
        key = next((k for k in (f"{imp.module}:{imp.function}", imp.module) if k in ALLOWED_FUNCTION_IMPORTS), None)
        if key is None:
            offenders.append(f"  {imp.module}:{imp.line} in {imp.function}() imports {', '.join(sorted(imp.targets))}")
        else:
            used.add(key)
    assert not offenders, "move these imports to the top of their module:\n" + "\n".join(offenders)
    stale = sorted(set(ALLOWED_FUNCTION_IMPORTS) - used)
    assert not stale, f"nothing left to allow: remove {stale} from ALLOWED_FUNCTION_IMPORTS"


def test_the_graph_sees_imports_inside_functions_and_package_inits(tmp_path, monkeypatch):
    """The reader of the graph itself: a cycle hidden inside a function, and one through a package's
    `__init__`, are both found; a TYPE_CHECKING import is not an edge."""
    package = tmp_path / "certification"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("from certification import low\n")
    (package / "low.py").write_text("def f():\n    from certification.inner import helpers\n")
    (package / "inner" / "helpers.py").write_text("X = 1\n")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from certification import b\n"
    )
    (package / "b.py").write_text("from certification import a\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "PACKAGES", ("certification",))
    imports = first_party_imports()
    assert cycles(imports) == [["certification.inner", "certification.low"]]
    assert [(i.module, i.function) for i in imports if i.function] == [("certification.low", "f")]
