"""The service's packages import one way: content → rules → storage → workflows → office →
sitegen → web → cli. Only storage touches TinyDB; only web and the CLI touch Starlette or uvicorn."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parent.parent / "service"
LAYERS = ("content", "rules", "storage", "workflows", "office", "sitegen", "web", "cli")
LEAVES = ("errors", "config")  # import nothing of the service; every layer may use them
WEB_ONLY = ("starlette", "uvicorn", "anyio")
MAX_LINES = 400


def modules() -> list[Path]:
    return sorted(p for p in SERVICE.rglob("*.py") if "__pycache__" not in p.parts)


def layer_of(path: Path) -> str:
    part = path.relative_to(SERVICE).parts[0]
    return part.removesuffix(".py")


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["service", *path.relative_to(SERVICE).parent.parts]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            found.append((node.lineno, base))
            if base == "service":  # from service import rules
                found += [(node.lineno, f"service.{alias.name}") for alias in node.names]
    return found


def rank(layer: str) -> int:
    return LAYERS.index(layer) if layer in LAYERS else -1


def violations() -> list[str]:
    problems = []
    for path in modules():
        layer = layer_of(path)
        where = path.relative_to(SERVICE.parent)
        for line, name in imported(path):
            parts = name.split(".")
            top = parts[0]
            if top == "tinydb" and layer != "storage":
                problems.append(f"{where}:{line} imports tinydb outside storage/")
            if top in WEB_ONLY and layer not in ("web", "cli"):
                problems.append(f"{where}:{line} imports {top} outside web/ and cli.py")
            if top != "service" or len(parts) < 2:
                continue
            target = parts[1]
            if layer in LEAVES and target not in LEAVES:
                problems.append(f"{where}:{line} a leaf module imports {name}")
            if target in LEAVES or layer in ("__init__", "__main__"):
                continue
            if rank(target) > rank(layer):
                problems.append(f"{where}:{line} {layer}/ imports {name}, a layer above it")
    return problems


def test_layers_import_downwards_only() -> None:
    assert violations() == []


def test_the_site_generator_reads_the_store_not_the_use_cases() -> None:
    """sitegen publishes what storage holds; workflows/ are the service's use cases."""
    found = [f"{path.relative_to(SERVICE.parent)}:{line} imports {name}"
             for path in modules() if layer_of(path) == "sitegen"
             for line, name in imported(path) if name.split(".")[:2] == ["service", "workflows"]]
    assert found == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SERVICE)))
def test_module_is_short_enough_to_read(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines"


def test_every_module_belongs_to_a_layer() -> None:
    strays = [p.name for p in modules() if layer_of(p) not in (*LAYERS, *LEAVES, "__init__", "__main__")]
    assert strays == []
