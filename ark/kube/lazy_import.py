"""Import ``kubernetes_asyncio`` without loading its ~860 generated API and model modules.

``kubernetes_asyncio``'s package ``__init__`` files import every generated API class and
model eagerly: about 60 MB of RSS before the operator has done anything. ``ark.kube``
needs only the transport (``ApiClient``, ``Configuration``, the kubeconfig / in-cluster
loaders) and decodes JSON itself, so :func:`install` replaces those four package modules
with lazy ones that import a name's module the first time the name is read (PEP 562).
Everything stays reachable — ``kubernetes_asyncio.client.CoreV1Api``,
``client.models.V1Pod`` — it is just loaded on first use.

The export table of each lazy package is read from that package's own ``__init__.py``
(its ``from X import Y`` lines), so it always matches the installed version. When
``kubernetes_asyncio`` is already imported, :func:`install` does nothing.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

ROOT = "kubernetes_asyncio"
LAZY_PACKAGES = ("", ".client", ".client.api", ".client.models")


class LazyPackage(types.ModuleType):
    """A package module whose exported names are imported on first attribute access."""

    def __init__(
        self, name: str, path: Path, exports: dict[str, tuple[str, str | None]], constants: dict[str, Any]
    ):
        super().__init__(name)
        self.__path__ = [str(path)]
        self.__package__ = name
        self.__file__ = str(path / "__init__.py")
        self.__dict__.update(constants)
        self._exports = exports

    def __getattr__(self, attr: str) -> Any:
        target = self._exports.get(attr)
        if target is None:
            # A submodule not re-exported by name (``client.rest``) is an attribute once imported.
            path = Path(self.__path__[0])
            if not ((path / f"{attr}.py").exists() or (path / attr / "__init__.py").exists()):
                raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
            target = (f"{self.__name__}.{attr}", None)
        module_name, original = target
        value: Any = importlib.import_module(module_name)
        if original is not None:
            value = getattr(value, original)
        setattr(self, attr, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._exports))


def package_exports(init: Path) -> tuple[dict[str, tuple[str, str | None]], dict[str, Any]]:
    """The names a package ``__init__.py`` imports (name -> (module, attribute)) and its constants."""
    exports: dict[str, tuple[str, str | None]] = {}
    constants: dict[str, Any] = {}
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(ROOT):
            for alias in node.names:
                exports[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(ROOT) and alias.asname:
                    exports[alias.asname] = (alias.name, None)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.List):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = ast.literal_eval(node.value)
    return exports, constants


def install() -> bool:
    """Put lazy package modules in ``sys.modules``; False if ``kubernetes_asyncio`` was already loaded."""
    if ROOT in sys.modules:
        return False
    spec = importlib.util.find_spec(ROOT)
    if spec is None or not spec.submodule_search_locations:
        return False
    root = Path(next(iter(spec.submodule_search_locations)))
    for suffix in LAZY_PACKAGES:
        path = root.joinpath(*suffix.split(".")[1:])
        exports, constants = package_exports(path / "__init__.py")
        module = LazyPackage(ROOT + suffix, path, exports, constants)
        sys.modules[module.__name__] = module
        if suffix:
            parent, _, child = module.__name__.rpartition(".")
            setattr(sys.modules[parent], child, module)
    return True
