"""The checks are as strict as the docs say: every module in a layer, no indirect-import
allowance, mypy over all of app/, the UI's Qt behind one door."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def config() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return data


def top_level_modules() -> set[str]:
    app = ROOT / "app"
    return {f"app.{p.stem}" for p in app.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__")
            or (p.is_dir() and (p / "__init__.py").exists())}


def test_every_module_of_app_is_in_a_layer() -> None:
    contracts = config()["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    assert top_level_modules() - placed == set()
    assert placed - top_level_modules() == set()  # and no stale names


def test_no_contract_allows_indirect_imports() -> None:
    contracts = config()["tool"]["importlinter"]["contracts"]
    assert contracts
    assert not any(c.get("allow_indirect_imports") for c in contracts)


def test_qt_stays_behind_app_ui() -> None:
    contracts = config()["tool"]["importlinter"]["contracts"]
    (qt,) = [c for c in contracts if "Qt" in c["name"]]
    assert {"PySide6", "qasync"} <= set(qt["forbidden_modules"])
    assert set(qt["source_modules"]) == top_level_modules() - {"app.ui", "app.cli"}


def test_mypy_strict_covers_all_of_app() -> None:
    mypy = config()["tool"]["mypy"]
    assert mypy["strict"] is True
    assert mypy["files"] == ["app"]


def test_the_fault_injector_is_test_only() -> None:
    """The wheel holds app/ (packages.find includes app* only): no fault logic may
    live there; it is a subclass in tests/faults.py."""
    assert config()["tool"]["setuptools"]["packages"]["find"]["include"] == ["app*"]
    assert list((ROOT / "app").rglob("*fault*")) == []
    shipped = "\n".join(p.read_text("utf-8") for p in (ROOT / "app").rglob("*.py"))
    assert "Faults" not in shipped and "drop_after_chunks" not in shipped
    assert (ROOT / "tests" / "faults.py").exists()
