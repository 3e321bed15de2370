"""Every third-party distribution a module under src/ imports is declared in pyproject.toml."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "titlefetch"


def normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_distributions(pyproject: Path) -> dict[str, str]:
    """name -> where pyproject declares it: "dependencies" or "extra NAME"."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups = {"dependencies": project.get("dependencies", [])}
    for extra, requirements in project.get("optional-dependencies", {}).items():
        groups[f"extra {extra}"] = requirements
    declared: dict[str, str] = {}
    for group, requirements in groups.items():
        for requirement in requirements:
            name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            assert name, f"not a requirement: {requirement!r}"
            declared.setdefault(normalized(name.group()), group)
    return declared


def imported_modules(source: str) -> Iterator[str]:
    """The top-level names of the absolute imports in `source`, at any depth of the code."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0]


def undeclared_imports(
    files: Iterable[Path],
    declared: Mapping[str, str],
    distributions: Mapping[str, list[str]],
    *,
    own: str = "titlefetch",
    root: Path = PACKAGE,
) -> list[str]:
    """`file: module` for each import of a third-party module no declared distribution gives."""
    problems = []
    for path in files:
        for module in sorted(set(imported_modules(path.read_text(encoding="utf-8")))):
            if module == own or module in sys.stdlib_module_names:
                continue
            providers = {normalized(name) for name in distributions.get(module, [])}
            if not providers & set(declared):
                given_by = ", ".join(sorted(providers)) or "no installed distribution"
                where = path.relative_to(root) if path.is_relative_to(root) else path.name
                problems.append(f"{where}: {module} (from {given_by})")
    return problems


def test_every_imported_distribution_is_declared():
    problems = undeclared_imports(
        sorted(PACKAGE.rglob("*.py")),
        declared_distributions(ROOT / "pyproject.toml"),
        importlib.metadata.packages_distributions(),
    )
    assert problems == [], "imported but not declared in pyproject.toml"


def test_the_check_finds_an_import_that_only_comes_through_another_package(tmp_path):
    # charset_normalizer arrives with requests; importing it without declaring it is the
    # mistake this test exists for (issue 18). Imports inside functions count too.
    module = tmp_path / "guess.py"
    module.write_text("import os\nimport requests\n\ndef f():\n    import charset_normalizer\n")
    problems = undeclared_imports(
        [module],
        {"requests": "dependencies"},
        importlib.metadata.packages_distributions(),
    )
    assert problems == ["guess.py: charset_normalizer (from charset-normalizer)"]


def test_a_module_no_distribution_provides_is_reported(tmp_path):
    module = tmp_path / "ghost.py"
    module.write_text("from not_installed_anywhere.sub import thing\n")
    assert undeclared_imports([module], {}, {}) == [
        "ghost.py: not_installed_anywhere (from no installed distribution)"
    ]


def test_requirement_names_are_compared_normalized(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\ndependencies = ["Charset_Normalizer>=2"]\n'
        '[project.optional-dependencies]\ndask = ["distributed>=2024.8"]\n'
    )
    assert declared_distributions(pyproject) == {
        "charset-normalizer": "dependencies",
        "distributed": "extra dask",
    }
