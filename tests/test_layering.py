"""The house rules, read from the source (ast), so they hold by construction:

- `search_spaces` imports nothing of ours but the one `Registry` (`workloads.registry`, which imports
  nothing); `workloads` imports nothing of `orchestrator` or `search_spaces`;
- inside `orchestrator`, imports run one way: cli -> run -> report -> record -> plan (each package may
  import those to its right and `orchestrator.workdir`), with no import cycle between modules;
- only the run package and the record package's Tune callback import `ray`;
- no workloads config module imports another trainable's config.
Deferred imports (inside functions) and `TYPE_CHECKING` imports count like any other.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("cli", "run", "report", "record", "plan")  # each may import those after it
RAY_ALLOWED = ("orchestrator.run", "orchestrator.record.callback")
CONFIG_MODULES = ("workloads.config", "workloads.gan.config", "workloads.gemix.stage_config")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth of the file (absolute names)."""
    found: set[str] = set()
    package = module_name(path).rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names]
            found.update(names)
            # `from package import module` imports the module; anything else imports `base` itself.
            if not all(is_module(name) for name in names):
                found.add(base)
    return found


def is_module(name: str) -> bool:
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def sources(package: str) -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in sorted((REPO / package).rglob("*.py"))}


ALL = {**sources("orchestrator"), **sources("workloads"), **sources("search_spaces")}


def ours(name: str) -> bool:
    return name.split(".")[0] in ("orchestrator", "workloads", "search_spaces")


def internal_edges() -> dict[str, set[str]]:
    """module -> the modules of ours it imports (names that are modules, not attributes)."""
    return {m: {i for i in found if i in ALL and i != m} for m, found in ALL.items()}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "orchestrator" and parts[1] in LAYERS else None


def test_search_spaces_import_nothing_of_ours_but_the_registry():
    for module, found in ALL.items():
        if module.startswith("search_spaces"):
            foreign = {i for i in found if ours(i) and not i.startswith("search_spaces")}
            assert foreign <= {"workloads.registry", "workloads.registry.Registry"}, (module, foreign)
    assert not {i for i in ALL["workloads.registry"] if ours(i)}


def test_workloads_import_nothing_of_the_orchestrator_or_the_experiments():
    for module, found in ALL.items():
        if module.startswith("workloads"):
            assert not {i for i in found if i.split(".")[0] in ("orchestrator", "search_spaces")}, module


@pytest.mark.parametrize("package", LAYERS)
def test_orchestrator_imports_run_one_way(package):
    allowed = set(LAYERS[LAYERS.index(package):])
    for module, targets in internal_edges().items():
        if layer(module) != package:
            continue
        for target in targets:
            if target.startswith("orchestrator."):
                assert layer(target) in allowed or target == "orchestrator.workdir", f"{module} imports {target}"


def test_no_import_cycle_among_our_modules():
    edges = internal_edges()
    visiting, done, path = set(), set(), []

    def visit(node: str) -> None:
        visiting.add(node)
        path.append(node)
        for nxt in sorted(edges[node]):
            assert nxt not in visiting, "import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt])
            if nxt not in done:
                visit(nxt)
        visiting.discard(node)
        done.add(node)
        path.pop()

    for module in sorted(edges):
        if module not in done:
            visit(module)


def test_only_the_run_package_and_the_tune_callback_import_ray():
    for module, found in ALL.items():
        if any(i == "ray" or i.startswith("ray.") for i in found):
            assert module.startswith(RAY_ALLOWED), f"{module} imports ray"


def test_no_trainable_config_imports_another():
    for module in CONFIG_MODULES:
        others = {i for i in ALL[module] if any(i.startswith(c) for c in CONFIG_MODULES if c != module)}
        # A stage config may build on the shared stage keys, nothing else's.
        assert others <= {"workloads.gemix.stage_config", "workloads.gemix.stage_config.StageConfig"}, (module, others)
    assert not {i for i in ALL["workloads.config"] if i.startswith("workloads.gemix")}


def test_a_report_needs_no_ray(tmp_path):
    """`import ray` fails in the child; the report package and `mixbench report` still work."""
    code = ("import sys; sys.modules['ray'] = None\n"
            "import orchestrator.report.build, orchestrator.report.compare\n"
            "from orchestrator.cli import main\n"
            f"sys.exit(main(['report', 'demo', '--workdir', {str(tmp_path / 'runs')!r}]))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "demo" in done.stdout and (tmp_path / "runs" / "reports" / "demo" / "no-invocation" / "report.md").is_file()
