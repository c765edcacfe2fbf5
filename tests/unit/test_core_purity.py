"""The domain core imports no framework: it must stay testable and portable on its own."""

import ast
import subprocess
import sys
from pathlib import Path

import bridge.core

FORBIDDEN = ("slack_bolt", "slack_sdk", "aiohttp", "socketio", "sqlalchemy", "apscheduler")
CORE = Path(bridge.core.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_core_module_imports_a_framework() -> None:
    offenders = {
        path.name: sorted(imported_modules(path) & set(FORBIDDEN))
        for path in CORE.glob("*.py")
        if imported_modules(path) & set(FORBIDDEN)
    }
    assert offenders == {}


def test_no_core_module_reaches_outside_the_core_or_the_stdlib() -> None:
    for path in CORE.glob("*.py"):
        for name in imported_modules(path):
            assert name == "bridge" or name in sys.stdlib_module_names or name == "__future__", (
                f"{path.name} imports {name}"
            )


def test_importing_the_whole_core_loads_no_framework() -> None:
    probe = (
        "import sys, importlib, pkgutil, bridge.core as c\n"
        "for m in pkgutil.iter_modules(c.__path__):\n"
        "    importlib.import_module('bridge.core.' + m.name)\n"
        f"print(sorted(set(sys.modules) & set({FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
