#!/usr/bin/env python
"""The shape of a source tree: size, complexity, long functions, import cycles, imports hidden in
functions, and word lists written as code.

    python benchmarks/code_shape.py [ROOT] [--package NAME] [--json FILE] [--check]

ROOT defaults to src/detente (the package directory); NAME defaults to its directory name. Needs
radon (the dev extra pins it); reads the files only, never imports them, so it measures any
layout of the package.

Reported:
  - modules (.py files), physical lines and source lines (radon raw SLOC);
  - functions and methods with cyclomatic complexity (radon's `cc`, which counts a nested function
    on its own, not in its parent) above 25 and at or above 30, and CC>=30 per 1,000 lines;
  - functions longer than 80 lines (from the `def` line to the last line of the body);
  - import cycles between modules of the package: strongly connected components of the graph of
    imports made at module level (inside `if TYPE_CHECKING:` excluded, as they never run),
    counting `import pkg.x`, `from pkg.x import y`, `from . import x` and `from .x import y`; also
    the cycles that would exist if the imports made inside functions were at module level;
  - imports made inside functions, each flagged when it loads an optional extra (OPTIONAL_EXTRAS);
  - literal word tables: module-level tuple/list/set/frozenset/dict literals (or "a b c".split())
    holding >= 10 string constants; and string collections (>= 3 members, anywhere) that exist more
    than once: with the same members, or with different members overlapping by more than half of
    the smaller one.

--check exits 1 when any function has CC > 25 or more than 80 lines, any module-level cycle
exists, or a function-level import loads something other than an optional extra; each violation
is printed as `path:line: reason`.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from radon.complexity import cc_visit_ast
from radon.raw import analyze

CC_LIMIT = 25  # --check: a function above this fails
CC_HIGH = 30  # reported separately, and per 1,000 lines (the yardstick)
LENGTH_LIMIT = 80  # --check: a function longer than this many lines fails
TABLE_MIN_STRINGS = 10
REPEAT_MIN_MEMBERS = 3
REPEAT_MIN_OVERLAP = 0.5
OPTIONAL_EXTRAS = frozenset(
    {"torch", "dask", "distributed", "sklearn", "onnx", "playwright", "axe_playwright_python"}
)
COLLECTION_CALLS = {"frozenset", "set", "tuple", "list", "sorted", "dict"}


@dataclass
class FunctionInfo:
    path: str
    qualname: str
    lineno: int
    lines: int
    cc: int


@dataclass
class InnerImport:
    path: str
    function: str
    lineno: int
    target: str  # the imported module as written, absolute (relative ones resolved)
    optional_extra: bool
    origin: str  # package (its own modules), stdlib or third-party


@dataclass
class StringCollection:
    path: str
    name: str
    lineno: int
    scope: str  # module | class | function
    kind: str  # tuple, list, set, frozenset, dict, split
    strings: int  # string constants in the literal (keys and values for a dict)
    members: list[str] = field(repr=False)  # the flat members (keys for a dict)


# --------------------------------------------------------------------------- reading the tree


def module_name(path: Path, root: Path, package: str) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = [package, *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve_from(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of a `from ... import` with `level` leading dots."""
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class ModuleReader(ast.NodeVisitor):
    """One pass over a module: functions (with qualified names), imports by scope, collections."""

    def __init__(self, module: str, is_package: bool, rel_path: str):
        self.module, self.is_package, self.rel_path = module, is_package, rel_path
        self.stack: list[tuple[str, str]] = []  # (kind, name): kind is class or function
        self.functions: list[tuple[str, ast.AST]] = []
        # (scope, base module, imported names or None for `import x`, line, function)
        self.imports: list[tuple[str, str, list[str] | None, int, str | None]] = []
        self.collections: list[StringCollection] = []
        self.in_type_checking = 0

    # scopes
    def _qual(self, name: str) -> str:
        parts = []
        for kind, n in self.stack:
            parts.append(n)
            if kind == "function":
                parts.append("<locals>")
        return ".".join([*parts, name])

    def visit_FunctionDef(self, node):
        self.functions.append((self._qual(node.name), node))
        self.stack.append(("function", node.name))
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.stack.append(("class", node.name))
        self.generic_visit(node)
        self.stack.pop()

    def visit_If(self, node):
        if is_type_checking(node.test):
            self.in_type_checking += 1
            for child in node.body:
                self.visit(child)
            self.in_type_checking -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _scope(self) -> tuple[str, str | None]:
        functions = [n for kind, n in self.stack if kind == "function"]
        if self.in_type_checking:
            return "type_checking", None
        if functions:
            qual = ".".join(n for _, n in self.stack)
            return "function", qual
        return "module", None

    # imports
    def visit_Import(self, node):
        scope, fn = self._scope()
        for alias in node.names:
            self.imports.append((scope, alias.name, None, node.lineno, fn))

    def visit_ImportFrom(self, node):
        scope, fn = self._scope()
        base = resolve_from(self.module, self.is_package, node.level, node.module)
        self.imports.append((scope, base, [a.name for a in node.names], node.lineno, fn))

    # string collections
    def _record_collection(self, name: str, value: ast.expr, lineno: int):
        found = string_collection(value)
        if found is None:
            return
        kind, strings, members = found
        if not self.stack:
            scope = "module"
        else:
            scope = "function" if any(k == "function" for k, _ in self.stack) else "class"
        self.collections.append(
            StringCollection(self.rel_path, self._qual(name), lineno, scope, kind, strings, members)
        )

    def visit_Assign(self, node):
        names = [t.id if isinstance(t, ast.Name) else ast.unparse(t) for t in node.targets]
        self._record_collection(names[0], node.value, node.lineno)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self._record_collection(ast.unparse(node.target), node.value, node.lineno)
        self.generic_visit(node)


def string_collection(value: ast.expr) -> tuple[str, int, list[str]] | None:
    """(kind, number of string constants, flat members) if value is a literal string collection."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "split"
        and isinstance(value.func.value, ast.Constant)
        and isinstance(value.func.value.value, str)
    ):
        words = value.func.value.value.split()
        return "split", len(words), words
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in COLLECTION_CALLS
        and len(value.args) == 1
        and not value.keywords
    ):
        inner = string_collection(value.args[0])
        if inner is None:
            return None
        kind = value.func.id if value.func.id in ("frozenset", "set", "tuple", "list", "dict") else inner[0]
        return kind, inner[1], inner[2]
    if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.BitOr, ast.Add)):
        left, right = string_collection(value.left), string_collection(value.right)
        if left is None or right is None:
            return None
        return left[0], left[1] + right[1], left[2] + right[2]
    if isinstance(value, (ast.Tuple, ast.List, ast.Set)):
        kind = type(value).__name__.lower()
        members = [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        strings = sum(1 for n in ast.walk(value) if isinstance(n, ast.Constant) and isinstance(n.value, str))
        # A collection of mostly non-strings (numbers, names) is not a word list.
        if not members or strings < len(value.elts) / 2:
            return None
        return kind, strings, members
    if isinstance(value, ast.Dict):
        keys = [k.value for k in value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        if not keys or len(keys) < len(value.keys) / 2:
            return None
        strings = sum(1 for n in ast.walk(value) if isinstance(n, ast.Constant) and isinstance(n.value, str))
        return "dict", strings, keys
    return None


def function_cc(tree: ast.Module) -> dict[int, int]:
    """Cyclomatic complexity of every function/method/closure by the line of its `def`."""
    out: dict[int, int] = {}

    def add(block):
        if hasattr(block, "closures"):  # a function or method
            out[block.lineno] = block.complexity
            for c in block.closures:
                add(c)
        for m in getattr(block, "methods", []):
            add(m)
        for c in getattr(block, "inner_classes", []):
            add(c)

    for block in cc_visit_ast(tree):
        add(block)
    return out


# --------------------------------------------------------------------------- analyses


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); components with more than one module or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in graph.get(node, ()):
                    comps.append(sorted(comp))
    return sorted(comps)


def cycle_edges(comp: list[str], graph: dict[str, set[str]]) -> list[str]:
    members = set(comp)
    return [f"{a} -> {b}" for a in comp for b in sorted(graph.get(a, ())) if b in members]


def import_targets(base: str, names: list[str] | None, modules: set[str]) -> list[str]:
    """Modules of the package an import statement loads. `from pkg import x` loads the submodule
    pkg.x when there is one, else takes x from pkg itself. The implicit import of parent packages
    (`import a.b` runs a/__init__ first) is not an edge: every module would then depend on the
    package's __init__, and the cycles it reports would be the same for any layout."""
    if names is None:
        return [base] if base in modules else []
    out = []
    for n in names:
        sub = f"{base}.{n}"
        if sub in modules:
            out.append(sub)
        elif base in modules:
            out.append(base)
    return sorted(set(out))


def import_graph(imports_by_module: dict[str, list], modules: set[str], scopes: set[str]):
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, imports in imports_by_module.items():
        for scope, base, names, _line, _fn in imports:
            if scope not in scopes:
                continue
            for t in import_targets(base, names, modules):
                if t != mod:
                    graph[mod].add(t)
    return graph


IDENTIFIER_LIST_MARKS = ("COLUMNS", "KEYS", "FIELDS", "PARAMS")


def is_identifier_list(name: str) -> bool:
    """Lists of column/field/parameter names (and __all__) are schema, not vocabulary: they are
    reported apart from the word tables."""
    last = name.rsplit(".", 1)[-1]
    return last == "__all__" or any(m in last.upper() for m in IDENTIFIER_LIST_MARKS)


def repeated_collections(colls: list[StringCollection]) -> list[dict]:
    """Pairs of string collections defined in two places: identical, or overlapping > half."""
    candidates = [c for c in colls if len(set(c.members)) >= REPEAT_MIN_MEMBERS]
    by_member: dict[str, list[int]] = defaultdict(list)
    sets = [frozenset(c.members) for c in candidates]
    for i, s in enumerate(sets):
        for m in s:
            by_member[m].append(i)
    pairs = set()
    for idx in by_member.values():
        if len(idx) > 200:  # a very common member: pairs come from the others too
            continue
        for a in idx:
            for b in idx:
                if a < b:
                    pairs.add((a, b))
    out = []
    for a, b in sorted(pairs):
        sa, sb = sets[a], sets[b]
        common = sa & sb
        smaller = min(len(sa), len(sb))
        if len(common) < REPEAT_MIN_MEMBERS or len(common) / smaller <= REPEAT_MIN_OVERLAP:
            continue
        ca, cb = candidates[a], candidates[b]
        relation = "identical" if sa == sb else "subset" if sa <= sb or sb <= sa else "different"
        out.append(
            {
                "relation": relation,
                "a": f"{ca.path}:{ca.lineno} {ca.name} ({ca.scope}, {len(sa)})",
                "b": f"{cb.path}:{cb.lineno} {cb.name} ({cb.scope}, {len(sb)})",
                "same_module": ca.path == cb.path,
                "common": len(common),
                "overlap_of_smaller": round(len(common) / smaller, 2),
                "only_a": sorted(sa - sb)[:8],
                "only_a_n": len(sa - sb),
                "only_b": sorted(sb - sa)[:8],
                "only_b_n": len(sb - sa),
            }
        )
    order = {"different": 0, "identical": 1, "subset": 2}
    out.sort(key=lambda p: (order[p["relation"]], -p["common"]))
    return out


def measure(root: Path, package: str) -> dict:
    files = sorted(root.rglob("*.py"))
    modules: dict[str, Path] = {}
    functions: list[FunctionInfo] = []
    inner_imports: list[InnerImport] = []
    collections: list[StringCollection] = []
    imports_by_module: dict[str, list] = {}
    physical = sloc = 0
    per_module = []
    for path in files:
        rel = str(path.relative_to(root.parent))
        src = path.read_text(encoding="utf-8")
        raw = analyze(src)
        physical += raw.loc
        sloc += raw.sloc
        mod = module_name(path, root, package)
        modules[mod] = path
        per_module.append({"path": rel, "lines": raw.loc, "sloc": raw.sloc})
        tree = ast.parse(src, filename=str(path))
        cc = function_cc(tree)
        reader = ModuleReader(mod, path.name == "__init__.py", rel)
        reader.visit(tree)
        imports_by_module[mod] = reader.imports
        for qual, node in reader.functions:
            functions.append(
                FunctionInfo(
                    rel, qual, node.lineno, node.end_lineno - node.lineno + 1, cc.get(node.lineno, 0)
                )
            )
        for scope, base, names, line, fn in reader.imports:
            if scope != "function":
                continue
            shown = base if names is None else f"{base} ({', '.join(names)})"
            top = base.split(".")[0]
            origin = (
                "package" if top == package else "stdlib" if top in sys.stdlib_module_names else "third-party"
            )
            inner_imports.append(InnerImport(rel, fn or "", line, shown, top in OPTIONAL_EXTRAS, origin))
        collections.extend(reader.collections)

    names = set(modules)
    runtime = import_graph(imports_by_module, names, {"module"})
    latent = import_graph(imports_by_module, names, {"module", "function"})
    cycles = strongly_connected(runtime)
    latent_cycles = strongly_connected(latent)
    cc_over = sorted((f for f in functions if f.cc > CC_LIMIT), key=lambda f: -f.cc)
    cc_high = [f for f in cc_over if f.cc >= CC_HIGH]
    long_fns = sorted((f for f in functions if f.lines > LENGTH_LIMIT), key=lambda f: -f.lines)
    big = sorted(
        (c for c in collections if c.scope == "module" and c.strings >= TABLE_MIN_STRINGS),
        key=lambda c: (c.path, c.lineno),
    )
    tables = [c for c in big if not is_identifier_list(c.name)]
    identifier_lists = [c for c in big if is_identifier_list(c.name)]
    return {
        "root": str(root),
        "modules": len(files),
        "lines": physical,
        "sloc": sloc,
        "per_module": per_module,
        "functions": len(functions),
        "cc_over_25": [asdict(f) for f in cc_over],
        "cc_30_or_more": [asdict(f) for f in cc_high],
        "cc_30_per_1000_lines": round(1000 * len(cc_high) / physical, 2) if physical else 0.0,
        "cc_30_per_1000_sloc": round(1000 * len(cc_high) / sloc, 2) if sloc else 0.0,
        "cc_max": max((f.cc for f in functions), default=0),
        "longer_than_80": [asdict(f) for f in long_fns],
        "longest": max((f.lines for f in functions), default=0),
        "import_cycles": [{"modules": c, "edges": cycle_edges(c, runtime)} for c in cycles],
        "cycles_if_function_imports_were_module_level": [
            {"modules": c, "edges": cycle_edges(c, latent)} for c in latent_cycles
        ],
        "function_level_imports": [asdict(i) for i in inner_imports],
        "function_level_imports_optional": sum(i.optional_extra for i in inner_imports),
        "function_level_imports_by_origin": {
            o: sum(1 for i in inner_imports if i.origin == o) for o in ("package", "third-party", "stdlib")
        },
        "word_tables": [{k: v for k, v in asdict(c).items() if k != "members"} for c in tables],
        "word_table_strings": sum(c.strings for c in tables),
        "identifier_lists": [
            {k: v for k, v in asdict(c).items() if k != "members"} for c in identifier_lists
        ],
        "repeated_collections": repeated_collections(collections),
    }


# --------------------------------------------------------------------------- report


def print_report(r: dict) -> None:
    p = print
    p(
        f"root {r['root']}: {r['modules']} modules, {r['lines']:,} lines ({r['sloc']:,} source lines), "
        f"{r['functions']} functions/methods"
    )
    p(
        f"\ncyclomatic complexity (radon): max {r['cc_max']}; {len(r['cc_over_25'])} functions > {CC_LIMIT}, "
        f"{len(r['cc_30_or_more'])} >= {CC_HIGH} ({r['cc_30_per_1000_lines']} per 1,000 lines, "
        f"{r['cc_30_per_1000_sloc']} per 1,000 source lines)"
    )
    for f in r["cc_over_25"]:
        p(f"  CC {f['cc']:3d}  {f['lines']:4d} lines  {f['path']}:{f['lineno']} {f['qualname']}")
    p(f"\nfunctions longer than {LENGTH_LIMIT} lines: {len(r['longer_than_80'])} (longest {r['longest']})")
    for f in r["longer_than_80"]:
        p(f"  {f['lines']:4d} lines  CC {f['cc']:3d}  {f['path']}:{f['lineno']} {f['qualname']}")
    p(f"\nimport cycles (module-level imports): {len(r['import_cycles'])}")
    for c in r["import_cycles"]:
        p(f"  {' <-> '.join(c['modules'])}")
        for e in c["edges"]:
            p(f"      {e}")
    latent = r["cycles_if_function_imports_were_module_level"]
    p(f"cycles if the function-level imports were module-level: {len(latent)}")
    for c in latent:
        p(f"  {' <-> '.join(c['modules'])}")
    imps = r["function_level_imports"]
    by = r["function_level_imports_by_origin"]
    p(
        f"\nimports inside functions: {len(imps)} ({r['function_level_imports_optional']} of optional extras, "
        f"{len(imps) - r['function_level_imports_optional']} others); by origin: {by['package']} of the "
        f"package's own modules, {by['third-party']} third-party, {by['stdlib']} standard library"
    )
    for i in imps:
        flag = "optional" if i["optional_extra"] else i["origin"]
        p(f"  {flag:11s}  {i['path']}:{i['lineno']} {i['function']}: {i['target']}")
    p(
        f"\nliteral word tables (module level, >= {TABLE_MIN_STRINGS} strings): {len(r['word_tables'])}, "
        f"{r['word_table_strings']:,} strings"
    )
    for t in r["word_tables"]:
        p(f"  {t['strings']:5d}  {t['kind']:9s} {t['path']}:{t['lineno']} {t['name']}")
    ids = r["identifier_lists"]
    p(
        f"identifier lists (columns, keys, fields, __all__; not counted above): {len(ids)}, "
        f"{sum(t['strings'] for t in ids):,} strings: "
        + ", ".join(f"{t['path']}:{t['lineno']} {t['name']} ({t['strings']})" for t in ids)
    )
    reps = r["repeated_collections"]
    kinds = {k: [x for x in reps if x["relation"] == k] for k in ("different", "identical", "subset")}
    p(
        f"\nstring collections (>= {REPEAT_MIN_MEMBERS} members, any scope) defined more than once: "
        f"{len(kinds['different'])} pairs with different members overlapping > "
        f"{REPEAT_MIN_OVERLAP:.0%} of the smaller, {len(kinds['identical'])} identical pairs, "
        f"{len(kinds['subset'])} pairs where one is a subset of the other"
    )
    for x in kinds["different"]:
        p(
            f"  {x['common']} common ({x['overlap_of_smaller']:.0%} of the smaller)\n      {x['a']}\n      {x['b']}"
        )
        p(f"      only first ({x['only_a_n']}): {', '.join(map(repr, x['only_a']))}")
        p(f"      only second ({x['only_b_n']}): {', '.join(map(repr, x['only_b']))}")
    for x in kinds["identical"]:
        p(f"  identical ({x['common']})\n      {x['a']}\n      {x['b']}")
    for x in kinds["subset"]:
        p(f"  subset ({x['common']} common): {x['a']}  /  {x['b']}")


def violations(r: dict) -> list[str]:
    out = []
    for f in r["cc_over_25"]:
        out.append(f"{f['path']}:{f['lineno']}: CC {f['cc']} > {CC_LIMIT}: {f['qualname']}")
    for f in r["longer_than_80"]:
        out.append(f"{f['path']}:{f['lineno']}: {f['lines']} lines > {LENGTH_LIMIT}: {f['qualname']}")
    for c in r["import_cycles"]:
        out.append(f"import cycle: {' <-> '.join(c['modules'])} ({'; '.join(c['edges'])})")
    for i in r["function_level_imports"]:
        if not i["optional_extra"]:
            out.append(
                f"{i['path']}:{i['lineno']}: import inside a function ({i['function']}): {i['target']}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default="src/detente", help="the package directory")
    ap.add_argument("--package", help="import name of the package (default: the directory name)")
    ap.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    ap.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if any function has CC > 25 or > 80 lines, an import cycle exists, "
        "or a non-optional import is made inside a function",
    )
    opts = ap.parse_args(argv)
    root = Path(opts.root).resolve()
    if not root.is_dir():
        print(f"not a directory: {root}", file=sys.stderr)
        return 2
    report = measure(root, opts.package or root.name)
    if opts.json:
        Path(opts.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if opts.check:
        found = violations(report)
        for v in found:
            print(v)
        print(f"{len(found)} violation(s)")
        return 1 if found else 0
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
