"""The plugin manager: built-ins, entry points, config `plugins:`, `-p MODULE` and `-p no:NAME`.

Built-ins are registered by name exactly like third-party plugins, so `-p no:NAME` can switch
any of them off (`ytm-doctor list --plugins` shows every name and where it came from).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from ytm_doctor.errors import PluginLoadError, UsageError
from ytm_doctor.plugins import hookspec

ENTRYPOINT_GROUP = "ytm_doctor"
# Like PYTEST_DISABLE_PLUGIN_AUTOLOAD: set it to skip installed (entry-point) plugins.
DISABLE_AUTOLOAD_ENV = "YTM_DOCTOR_DISABLE_PLUGIN_AUTOLOAD"

BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("decorated", "ytm_doctor.plugins.decorated"),
    ("config_paths", "ytm_doctor.checks.config_paths"),
    ("share", "ytm_doctor.checks.share"),
    ("vault", "ytm_doctor.checks.vault"),
    ("symlinks", "ytm_doctor.checks.symlinks"),
    ("hot", "ytm_doctor.checks.hot"),
    ("disk", "ytm_doctor.checks.disk"),
    ("planning", "ytm_doctor.checks.planning"),
    ("thumbnails", "ytm_doctor.checks.thumbnails"),
    ("mirror_checks", "ytm_doctor.checks.mirror"),
    ("store_checks", "ytm_doctor.checks.store"),
    # The engine's operations: what plan actions can do (fix, apply, undo, store, mirror).
    ("fs_ops", "ytm_doctor.fix.ops"),
    ("store_ops", "ytm_doctor.store.ops"),
    ("mirror_ops", "ytm_doctor.mirror.ops"),
    ("bootstrap-sentinel", "ytm_doctor.fixers.bootstrap_sentinel"),
    ("ensure-vault-dirs", "ytm_doctor.fixers.ensure_vault_dirs"),
    ("relativize-symlink", "ytm_doctor.fixers.relativize_symlink"),
    ("materialize-input", "ytm_doctor.fixers.materialize_input"),
    ("relink-draft", "ytm_doctor.fixers.relink_draft"),
    ("restore-run", "ytm_doctor.fixers.restore_run"),
    ("archive-runs", "ytm_doctor.fixers.archive_runs"),
    ("reseed-planning-cache", "ytm_doctor.fixers.reseed_planning_cache"),
    ("seed-planning", "ytm_doctor.fixers.seed_planning"),
    ("placeholder-thumbnail", "ytm_doctor.fixers.placeholder_thumbnail"),
    ("mirror", "ytm_doctor.fixers.mirror"),
    ("clear-stale-lock", "ytm_doctor.fixers.clear_stale_lock"),
    ("store", "ytm_doctor.fixers.store"),
    ("flush-outbox", "ytm_doctor.fixers.flush_outbox"),
    ("remove-abandoned-temps", "ytm_doctor.fixers.remove_abandoned_temps"),
    # json before terminal: the terminal summary names the file the report was saved to.
    ("json", "ytm_doctor.reports.json_report"),
    # html after json: its saved copy takes the name json gave the saved report.
    ("html", "ytm_doctor.reports.html"),
    ("terminal", "ytm_doctor.reports.terminal"),
    ("sarif", "ytm_doctor.reports.sarif"),
    ("junit", "ytm_doctor.reports.junit"),
    ("github", "ytm_doctor.reports.github"),
    # `fleet --html`: the fleet page (ytm_doctor_render_fleet).
    ("fleet_html", "ytm_doctor.reports.fleet_html"),
    # Report-ready: retention and --publish, then the webhook notifier.
    ("publish", "ytm_doctor.reports.publish"),
    ("webhook", "ytm_doctor.reports.webhook"),
)


_NOT_SET = object()
# What a module attribute that can never carry a hookimpl is: only functions and bound methods
# are hookable (classes are not plugins' hooks, they are their classes).
_NEVER_HOOKS = (type, ModuleType, str, bytes, int, float, tuple, list, dict, set, frozenset)


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

    def parse_hookimpl_opts(self, plugin: object, name: str) -> Any:
        # pluggy looks at every attribute of a plugin through inspect.getattr_static: for the
        # built-ins' ~1,000 imported names (classes, modules, constants) that is most of the
        # cost of registering them. A module's class, module or plain value is never a hook.
        if isinstance(plugin, ModuleType):
            value = plugin.__dict__.get(name, _NOT_SET)
            if isinstance(value, _NEVER_HOOKS):
                return None
        return super().parse_hookimpl_opts(plugin, name)


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
        raise UsageError(_validation_message(pm, exc)) from None
    _refuse_unknown_blocks(requested, config_plugins)
    return pm


def _refuse_unknown_blocks(requested: list[str], config_plugins: Iterable[str]) -> None:
    """`-p no:NAME` naming no plugin is a typo: the plugin it meant still runs, silently. Exit 4
    with the closest names, as for an unknown rule code."""
    blocked = [item[3:] for item in requested if item.startswith("no:")]
    if not blocked:
        return
    import importlib.metadata

    known = {name for name, _ in BUILTIN_PLUGINS}
    known.update(ep.name for ep in importlib.metadata.entry_points(group=ENTRYPOINT_GROUP))
    for spec in [*config_plugins, *(r for r in requested if not r.startswith("no:"))]:
        known.add(spec)
        if spec.endswith(".py") or os.sep in spec or "/" in spec:
            known.add(Path(spec).stem)  # a file plugin is blocked by its stem or its path
    for name in blocked:
        if name in known or (os.sep in name or "/" in name):
            continue  # a path: load_plugin compares it with the absolute path it loads
        import difflib  # only to suggest a name: not on every start-up

        close = difflib.get_close_matches(name, sorted(known), n=3)
        hint = f" (did you mean {' or '.join('no:' + c for c in close)}?)" if close else ""
        raise UsageError(f"-p no:{name}: no plugin is named {name}{hint}")


def _validation_message(pm: PluginManager, exc: pluggy.PluginValidationError) -> str:
    """pluggy's multi-line complaint as one line, naming the plugin."""
    name = pm.get_name(exc.plugin) or getattr(exc.plugin, "__name__", "?")
    return f"plugin {name}: " + " ".join(str(exc).split())


def _load_entrypoints(pm: PluginManager) -> None:
    if not may_declare_entrypoints(ENTRYPOINT_GROUP):
        return
    before = {name for name, _ in pm.list_name_plugin()}
    try:
        pm.load_setuptools_entrypoints(ENTRYPOINT_GROUP)
    except pluggy.PluginValidationError as exc:
        raise UsageError(_validation_message(pm, exc)) from None
    except ImportError as exc:
        raise UsageError(f"installed plugin cannot be imported: {exc}") from None
    except Exception as exc:
        raise PluginLoadError(f"installed plugin raised while importing: {exc!r}") from exc
    for name, plugin in pm.list_name_plugin():
        if name not in before:
            where = getattr(plugin, "__name__", repr(plugin))
            pm.sources[name] = PluginInfo(name, "entrypoint", where)


def may_declare_entrypoints(group: str) -> bool:
    """False only when surely no installed distribution declares an entry point in `group`.

    pluggy's scan imports importlib.metadata (email, zipfile, csv: tens of milliseconds) and
    parses every distribution's entry points, on every start. Here each directory of sys.path is
    listed and only the entry_points.txt files are read (a few small files); anything this cannot
    see into (a zip on sys.path, an importer with its own distributions) answers True, and the
    full scan decides."""
    header = re.compile(rf"^\s*\[\s*{re.escape(group)}\s*\]", re.MULTILINE)  # the group's section
    for finder in sys.meta_path:
        if hasattr(finder, "find_distributions") and finder is not importlib.machinery.PathFinder:
            return True
    for entry in sys.path:
        base = Path(entry or ".")
        try:
            children = list(os.scandir(base)) if base.is_dir() else None
        except OSError:
            continue  # unreadable: importlib.metadata finds nothing there either
        if children is None:
            if base.exists():
                return True  # a zip file or an egg file: let importlib.metadata look inside
            continue
        infos = [c.path for c in children if c.name.lower().endswith((".dist-info", ".egg-info"))]
        if base.name.lower().endswith(".egg"):
            infos.append(str(base / "EGG-INFO"))
        for info in infos:
            try:
                with open(os.path.join(info, "entry_points.txt"), encoding="utf-8") as f:
                    if header.search(f.read()):
                        return True
            except OSError:
                continue  # no entry points
            except UnicodeDecodeError:
                return True  # not this reader's to judge: the full scan does
    return False


def load_plugin(pm: PluginManager, spec: str, base: Path, source: str) -> None:
    """Import a module name or a `.py` file (relative to `base`) and register it."""
    is_file = spec.endswith(".py") or os.sep in spec or "/" in spec
    if is_file:
        path = (base / os.path.expanduser(spec)).absolute()
        if pm.is_blocked(path.stem) or pm.is_blocked(str(path)):
            return
        if any(getattr(p, "__file__", None) == str(path) for p in pm.get_plugins()):
            return  # this very file is already loaded (config and -p both name it)
        if not path.is_file():
            raise UsageError(f"plugin file {path} (from {source}) does not exist")
        # Its short name when free; its path when a built-in or another file has that name
        # (a local share.py must not be dropped, nor two checks.py in two folders).
        name = path.stem if pm.get_plugin(path.stem) is None else str(path)
        module = _import_file(path, path.stem)
        where = str(path)
    else:
        name = spec
        if pm.is_blocked(name):
            return
        if pm.has_plugin(name):
            return  # already loaded (an entry point and -p, or -p twice): the same module
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


def _import_file(path: Path, stem: str) -> ModuleType:
    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:8]
    modname = f"ytm_doctor_local_plugin_{stem}_{digest}"
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
        raise UsageError(f"plugin {name}: " + " ".join(str(exc).split())) from None
    pm.sources[name] = PluginInfo(name, source, where)


def plugin_infos(pm: PluginManager) -> list[PluginInfo]:
    """Every registered plugin in registration order."""
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # pluggy keeps blocked names with no plugin
            infos.append(PluginInfo(name, "blocked", "-p no:" + name))
            continue
        info = pm.sources.get(name)
        infos.append(info or PluginInfo(name, "unknown", getattr(plugin, "__name__", repr(plugin))))
    return infos


def plugin_name_of(pm: PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or getattr(plugin, "__name__", "?")
