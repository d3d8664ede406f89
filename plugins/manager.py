"""The plugin manager: built-ins, entry points, config `plugins:`, `-p MODULE` and `-p no:NAME`.

Built-ins are registered by name exactly like third-party plugins, so `-p no:NAME` can switch
any of them off (`ytm-doctor list --plugins` shows every name and where it came from).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pluggy
from ytm_doctor.plugins import hookspec

from ytm_doctor.errors import UsageError

ENTRYPOINT_GROUP = "ytm_doctor"
# Like PYTEST_DISABLE_PLUGIN_AUTOLOAD: set it to skip installed (entry-point) plugins.
DISABLE_AUTOLOAD_ENV = "YTM_DOCTOR_DISABLE_PLUGIN_AUTOLOAD"

BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("decorated", "ytm_doctor.plugins.decorated"),
    ("config_paths", "ytm_doctor.checks.config_paths"),
    ("share", "ytm_doctor.checks.share"),
    # json before terminal: the terminal summary names the file the report was saved to.
    ("json", "ytm_doctor.reports.json_report"),
    ("terminal", "ytm_doctor.reports.terminal"),
)


@dataclass(frozen=True)
class PluginInfo:
    name: str
    source: str  # builtin, entrypoint, config, -p
    where: str  # module name or file path


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering where each plugin came from."""

    def __init__(self) -> None:
        super().__init__(hookspec.PROJECT_NAME)
        self.add_hookspecs(hookspec)
        self.sources: dict[str, PluginInfo] = {}


class PluginLoadError(Exception):
    """A plugin was found but raised while importing (exit 3, as pytest)."""


def make_plugin_manager(
    *,
    requested: Iterable[str] = (),
    config_plugins: Iterable[str] = (),
    config_dir: Path | None = None,
    autoload: bool | None = None,
) -> PluginManager:
    """A plugin manager with every plugin of this invocation registered, in pytest's order:
    built-ins, entry points, the config's `plugins:`, then `-p` options."""
    pm = PluginManager()
    requested = list(requested)
    for item in requested:
        if item.startswith("no:"):
            pm.set_blocked(item[3:])

    for name, module in BUILTIN_PLUGINS:
        if not pm.is_blocked(name):
            _register(pm, importlib.import_module(module), name, "builtin", module)

    if autoload is None:
        autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
    if autoload:
        _load_entrypoints(pm)

    for spec in config_plugins:
        load_plugin(pm, spec, config_dir or Path.cwd(), "config")
    for spec in requested:
        if not spec.startswith("no:"):
            load_plugin(pm, spec, Path.cwd(), "-p")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise UsageError(f"plugin {exc.plugin_name}: {exc}") from None
    return pm


def _load_entrypoints(pm: PluginManager) -> None:
    before = {name for name, _ in pm.list_name_plugin()}
    try:
        pm.load_setuptools_entrypoints(ENTRYPOINT_GROUP)
    except pluggy.PluginValidationError as exc:
        raise UsageError(f"plugin {exc.plugin_name}: {exc}") from None
    except ImportError as exc:
        raise UsageError(f"installed plugin cannot be imported: {exc}") from None
    except Exception as exc:
        raise PluginLoadError(f"installed plugin raised while importing: {exc!r}") from exc
    for name, plugin in pm.list_name_plugin():
        if name not in before:
            where = getattr(plugin, "__name__", repr(plugin))
            pm.sources[name] = PluginInfo(name, "entrypoint", where)


def load_plugin(pm: PluginManager, spec: str, base: Path, source: str) -> None:
    """Import a module name or a `.py` file (relative to `base`) and register it."""
    is_file = spec.endswith(".py") or os.sep in spec or "/" in spec
    name = Path(spec).stem if is_file else spec
    if pm.is_blocked(name) or pm.has_plugin(name):
        return
    if is_file:
        path = (base / os.path.expanduser(spec)).absolute()
        if not path.is_file():
            raise UsageError(f"plugin file {path} (from {source}) does not exist")
        module = _import_file(path, name)
        where = str(path)
    else:
        try:
            module = importlib.import_module(spec)
        except ModuleNotFoundError as exc:
            raise UsageError(f"plugin {spec} (from {source}) cannot be found: {exc}") from None
        except SyntaxError as exc:
            raise UsageError(f"plugin {spec} (from {source}) has a syntax error: {exc}") from None
        except Exception as exc:
            raise PluginLoadError(f"plugin {spec} raised while importing: {exc!r}") from exc
        where = spec
    _register(pm, module, name, source, where)


def _import_file(path: Path, name: str) -> ModuleType:
    modname = f"ytm_doctor_local_plugin_{name}"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"plugin file {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(modname, None)
        raise UsageError(f"plugin file {path} has a syntax error: {exc}") from None
    except ImportError as exc:
        sys.modules.pop(modname, None)
        raise UsageError(f"plugin file {path} cannot be imported: {exc}") from None
    except Exception as exc:
        sys.modules.pop(modname, None)
        raise PluginLoadError(f"plugin file {path} raised while importing: {exc!r}") from exc
    return module


def _register(pm: PluginManager, module: object, name: str, source: str, where: str) -> None:
    try:
        pm.register(module, name)
    except pluggy.PluginValidationError as exc:
        raise UsageError(f"plugin {name}: {exc}") from None
    pm.sources[name] = PluginInfo(name, source, where)


def plugin_infos(pm: PluginManager) -> list[PluginInfo]:
    """Every registered plugin in registration order."""
    infos = []
    for name, plugin in pm.list_name_plugin():
        info = pm.sources.get(name)
        infos.append(info or PluginInfo(name, "unknown", getattr(plugin, "__name__", repr(plugin))))
    return infos


def plugin_name_of(pm: PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or getattr(plugin, "__name__", "?")
