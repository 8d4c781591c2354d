"""The code keeps the shape docs/architecture.md describes: no import cycles, every package on
the map, long modules explained, and every document the code cites present.

The layers themselves are import-linter's contracts in pyproject.toml (`lint-imports` in CI).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "fs_conf"
ARCHITECTURE = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
LONG = 500


def python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph("fs_conf", exclude_type_checking_imports=True)
    cycles = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycles.add(" -> ".join((module, *chain)))
    assert not cycles, "\n".join(sorted(cycles))


def top_level_parts() -> set[str]:
    """`cli/` for a package, `config.py` for a module: as the map names them."""
    parts = set()
    for path in PACKAGE.iterdir():
        if (path / "__init__.py").is_file():
            parts.add(f"{path.name}/")
        elif path.suffix == ".py" and path.stem not in {"__init__", "__main__"}:
            parts.add(path.name)
    return parts


def test_every_package_and_top_level_module_is_on_the_map() -> None:
    missing = sorted(part for part in top_level_parts() if f"`{part}`" not in ARCHITECTURE)
    assert not missing, f"docs/architecture.md does not map {missing}"


def long_modules() -> dict[str, int]:
    """Modules over LONG lines, by their path below fs_conf/, with their line counts."""
    counts = {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in python_files()
    }
    return {name: lines for name, lines in counts.items() if lines > LONG}


def test_a_long_module_outside_the_simulator_is_named_in_the_map_with_its_concept() -> None:
    long = {name: lines for name, lines in long_modules().items() if not name.startswith("sim/")}
    too_long = {name: lines for name, lines in long.items() if lines > 600}
    unmapped = sorted(name for name in long if f"`{name}`" not in ARCHITECTURE)
    assert not too_long, too_long
    assert not unmapped, f"docs/architecture.md does not name {unmapped}"


def test_a_long_simulator_module_names_the_freeswitch_file_it_mirrors() -> None:
    silent = []
    for name in long_modules():
        if name.startswith("sim/"):
            docstring = ast.get_docstring(ast.parse((PACKAGE / name).read_text("utf-8"))) or ""
            if not re.search(r"\bsrc/\S+\.c\b", docstring):
                silent.append(name)
    assert not silent, silent


def test_every_document_the_code_cites_exists() -> None:
    cited = set()
    for path in [*python_files(), *sorted((REPO / "tests").rglob("*.py"))]:
        cited |= set(re.findall(r"\bdocs/[\w/-]+\.md", path.read_text(encoding="utf-8")))
    missing = sorted(name for name in cited if not (REPO / name).is_file())
    assert not missing, missing
