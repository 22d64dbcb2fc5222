"""One direction through the house (issue 21): core ← read ← rules (and schemas) ← workers ←
warehouse ← outputs ← notify ← the shells (cli, flows, web). No module imports from a later stage, at module
level or inside a function; the shells are thin layers over the stages and never imported by them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["core", "read", "rules", "workers", "warehouse", "outputs", "notify", "shells"]
PACKAGES = ("pipeline", "schemas", "flows", "web")


def stage_of(module: str) -> str | None:
    """The stage a module belongs to: pipeline/<stage>/…, schemas (the rules' pandera), or a shell."""
    parts = module.split(".")
    if parts[0] == "schemas":
        return "rules"
    if parts[0] in ("flows", "web"):
        return "shells"
    if parts[0] == "pipeline":
        if len(parts) == 1 or parts[1] == "__main__":
            return "shells"      # the package's public face and `python -m pipeline` front everything
        if parts[1] == "cli":
            return "shells"
        return parts[1] if parts[1] in STAGES else None
    return None


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(module imported, line) for every import in the file, nested ones (inside functions) included."""
    out = []
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((module, node.lineno))
            out += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]   # `from pipeline import x`
    return out


def test_every_module_belongs_to_a_stage():
    assert not [name for name in modules() if stage_of(name) is None]


def test_no_module_imports_from_a_later_stage():
    known = modules()
    backwards = []
    for name, path in known.items():
        mine = STAGES.index(stage_of(name))
        for target, line in imports(name, path):
            if target not in known:
                continue
            theirs = stage_of(target)
            if STAGES.index(theirs) > mine:
                backwards.append(f"{path.relative_to(ROOT)}:{line} ({stage_of(name)}) imports {target} ({theirs})")
    assert not backwards, "\n".join(backwards)


@pytest.mark.parametrize("shell, others", [("flows", ("web", "pipeline.cli")), ("web", ("flows", "pipeline.cli"))])
def test_a_shell_never_imports_another(shell, others):
    """flows and web are each a thin layer over the stages; only the command line dispatches to them."""
    crossing = [f"{path.relative_to(ROOT)}:{line} imports {target}"
                for name, path in modules().items() if name.split(".")[0] == shell
                for target, line in imports(name, path) if target.startswith(others)]
    assert not crossing, "\n".join(crossing)


def test_the_command_line_reaches_web_and_flows_only_inside_a_command():
    """`agency-return validate` never pays for importing the web stack or Prefect."""
    for name, path in modules().items():
        if not name.startswith("pipeline.cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = [a.name for n in top if isinstance(n, ast.Import) for a in n.names] + \
                [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
        assert not [m for m in names if m.split(".")[0] in ("web", "flows", "prefect")], name


def test_the_library_names_its_public_functions_with_their_docstrings():
    import pipeline
    for name in pipeline.__all__:
        function = getattr(pipeline, name)
        assert callable(function) and len(function.__doc__ or "") > 80, name


def test_importing_the_library_loads_no_stage_until_a_function_is_used():
    import subprocess
    import sys
    code = ("import sys, pipeline; print(sorted(m for m in ('duckdb', 'prefect', 'fastapi', 'pandas', "
            "'pipeline.rules.validate') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
