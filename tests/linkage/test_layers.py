"""DESIGN's layers, kept by import-linter's contract in pyproject.toml ([tool.importlinter]): a lower
layer that imports a higher one fails CI (scripts/test.sh runs lint-imports)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
PACKAGES = ("linkage", "interop", "agencies", "notifications", "incidents")


def lint_imports(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=where, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_code_keeps_the_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.fixture
def copy(tmp_path) -> Path:
    """The apps' Python files and pyproject.toml, in a directory of their own."""
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            target = tmp_path / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "named"),
    [
        # An organisation's roster reading incidents (agencies is below incidents).
        ("agencies/rollcall.py", "from incidents.models import Incident", "agencies.rollcall -> incidents.models"),
        # Delivery knowing incidents: notifications knows people and agencies only.
        ("notifications/rules.py", "import incidents.services", "notifications.rules -> incidents.services"),
        # The standards' formats knowing the domain.
        ("interop/edxl.py", "from agencies.models import Agency", "interop.edxl -> agencies.models"),
        # A shared helper of linkage/ (lowest layer) pulling an app in: what linkage/api.py did.
        ("linkage/text.py", "from incidents.errors import TransitionError", "linkage.text -> incidents.errors"),
        # An app importing the wiring (top layer).
        ("incidents/links.py", "from linkage.urls import urlpatterns", "incidents.links -> linkage.urls"),
    ],
)
def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(copy, module, line, named):
    path = copy / module
    path.write_text((path.read_text() if path.exists() else "") + f"\n{line}\n")
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and named in result.stdout, result.stdout


def test_the_copy_itself_keeps_the_layers(copy):
    """The test above fails for its bad import, not for the copy."""
    assert lint_imports(copy).returncode == 0


def test_every_linkage_module_is_in_exactly_one_of_its_two_layers():
    """linkage/ is split into wiring (top) and shared helpers (lowest): a new module must say which."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    listed = [
        name.strip()
        for layer in contract["layers"]
        for name in layer.replace("|", ":").split(":")
        if name.strip().startswith("linkage.")
    ]
    modules = {
        "linkage." + (path.stem if path.suffix == ".py" else path.name)
        for path in (ROOT / "linkage").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert sorted(listed) == sorted(set(listed))  # none twice
    assert set(listed) == modules
