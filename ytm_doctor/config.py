"""Configuration: flag > environment > config file > ssot/policy.yaml (SPEC §3).

Every key is declared once in KEYS with its type, environment variable and flag. The policy file
supplies the defaults; `ytm-doctor config` prints each resolved value and where it came from.
"""

from __future__ import annotations

import argparse
import math
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor import ssot_files
from ytm_doctor.errors import ConfigError
from ytm_doctor.redact import mask_secret, redact_text, redact_url, secret_parts

if TYPE_CHECKING:
    import yaml

CONFIG_ENV = "YTM_DOCTOR_CONFIG"
DEFAULT_CONFIG_NAME = "ytm-doctor.yaml"


@dataclass(frozen=True)
class KeySpec:
    type: str  # path, paths, str, strs, segment, bool, int, number, url
    help: str
    env: str | None = None
    flag: str | None = None  # argparse dest of the command-line flag
    required: bool = False
    secret: bool = False  # never printed in full, never copied into schedule files


KEYS: dict[str, KeySpec] = {
    "workspace_root": KeySpec(
        "path", "the Hot workspace", "YTM_WORKSPACE_ROOT", "workspace_root", required=True
    ),
    "planning_root": KeySpec(
        "path", "planning source of truth", "YTM_PLANNING_ROOT", "planning_root"
    ),
    "shared_storage.root": KeySpec(
        "path", "mount point of the share", "YTM_SHARED_STORAGE_ROOT", "share_root", required=True
    ),
    "shared_storage.namespace": KeySpec(
        "segment",
        "namespace under uploads/ (one directory name)",
        "YTM_SHARED_STORAGE_NAMESPACE",
        "namespace",
    ),
    "shared_storage.fallback_root": KeySpec(
        "path",
        "local outbox while the share is down",
        "YTM_SHARED_STORAGE_FALLBACK_ROOT",
        "fallback_root",
    ),
    "shared_storage.require_mount": KeySpec("bool", "the share root must be a mount point"),
    "shared_storage.host_aliases": KeySpec("paths", "where other hosts mount the same share"),
    "capcut.draft_root": KeySpec(
        "path", "local CapCut draft directory", "YTM_CAPCUT_DRAFT_ROOT", "draft_root"
    ),
    "vault.required_dirs": KeySpec("strs", "dirs required on the share, relative to its root"),
    "disk.warn_free_gib": KeySpec("number", "warn below this many GiB free"),
    "disk.stop_free_gib": KeySpec(
        "number", "violation below this many GiB free; nothing writes to a volume below it"
    ),
    "archive.keep_recent_minutes": KeySpec(
        "int",
        "archive runs never moves a run modified within this many minutes",
        flag="keep_recent_minutes",
    ),
    "archive.keep_last_runs": KeySpec(
        "int", "archive runs keeps this many newest runs of each episode", flag="keep_last_runs"
    ),
    "mirror.rsync_bin": KeySpec("str", "rsync binary", "YTM_RSYNC_BIN"),
    "mirror.nice": KeySpec("int", "nice level of rsync", "YTM_MIRROR_NICE"),
    "mirror.timeout_sec": KeySpec("int", "rsync --timeout", "YTM_RSYNC_TIMEOUT_SEC"),
    "mirror.bwlimit_kbps": KeySpec("int", "rsync --bwlimit (0: none)", "YTM_RSYNC_BWLIMIT_KBPS"),
    "mirror.whole_file": KeySpec("bool", "rsync --whole-file", "YTM_RSYNC_WHOLE_FILE"),
    "mirror.stale_after_minutes": KeySpec("int", "a mirror older than this is stale"),
    "mirror.protected": KeySpec("strs", "Vault subtrees never deleted by the mirror"),
    "mirror.backup_keep_days": KeySpec(
        "int", "days the Vault files a mirror replaced are kept (0: forever)"
    ),
    "mirror.exclude": KeySpec("strs", "subtrees the mirror leaves alone"),
    "locks.stale_after_sec": KeySpec(
        "number", "a lock of another host without heartbeat for this long is stale"
    ),
    "planning.env_files": KeySpec("paths", "files declaring YTM_PLANNING_ROOT="),
    "planning.video_columns": KeySpec("strs", "planning CSV video column names"),
    "planning.status_columns": KeySpec("strs", "planning CSV status column names"),
    "planning.published_values": KeySpec("strs", "status values meaning Published"),
    "planning.freeze_values": KeySpec("strs", "status values meaning Freeze"),
    "scan.threads": KeySpec("int", "directories listed at once per walk (0: auto)"),
    "store.full_verify": KeySpec("bool", "YTM702 re-hashes every stored file on every scan"),
    "store.never_store": KeySpec("strs", "L2/L3 workspace paths store refuses (glob patterns)"),
    "store.delete_allowed": KeySpec(
        "strs", "workspace paths --move/--symlink-back may remove locally (glob patterns)"
    ),
    "reclaim.exports_retention_hours": KeySpec(
        "number", "hours a posted episode's CapCut export stays local before reclaim releases it"
    ),
    "fleet.stale_after_minutes": KeySpec(
        "number", "`ytm-doctor fleet`: a host whose published report is older is not reporting"
    ),
    "plugins": KeySpec("strs", "extra plugin modules or .py files"),
    "notify.webhook_url": KeySpec(
        "url",
        "Slack-compatible webhook posted on new violations and changes of state",
        "YTM_DOCTOR_WEBHOOK_URL",
        secret=True,
    ),
    "notify.cooldown_minutes": KeySpec(
        "number",
        "after announcing a change of the share, a disk or the mirror, minutes before that "
        "one is announced again (0: at once)",
    ),
}

# Thresholds that must be ordered: (larger, smaller). Warning below 80 GiB free but stopping
# below 150 would make the warning unreachable: almost certainly the two values swapped.
ORDERED: list[tuple[str, str]] = [("disk.warn_free_gib", "disk.stop_free_gib")]

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    source: str  # flag, env, file, default, derived
    origin: str | None = None  # the env var, the file, or the flag that set it

    def describe_source(self) -> str:
        return f"{self.source} ({self.origin})" if self.origin else self.source


@dataclass
class Config:
    """The resolved configuration, plus the command-line options of this invocation."""

    settings: dict[str, Setting]
    file: Path | None
    options: argparse.Namespace
    pluginmanager: Any = None  # set by the command line once plugins are loaded

    def __getitem__(self, key: str) -> Any:
        return self.settings[key].value

    def getoption(self, name: str, default: Any = None) -> Any:
        return getattr(self.options, name, default)

    @cached_property
    def paths(self):  # -> Paths; imported lazily to keep config free of path logic
        from ytm_doctor.paths import Paths

        return Paths.from_config(self)

    def secret_keys(self) -> set[str]:
        return {key for key, spec in KEYS.items() if spec.secret}

    def secret_flags(self) -> set[str]:
        """The options that set a secret directly (none today; one added later is covered)."""
        return {
            "--" + spec.flag.replace("_", "-")
            for spec in KEYS.values()
            if spec.secret and spec.flag
        }

    def secret_values(self) -> list[str]:
        """Every secret string of this configuration (values, URL passwords), longest first."""
        found: set[str] = set()
        for key in self.secret_keys():
            if self.settings[key].value:
                found.update(secret_parts(self.settings[key].value))
        return sorted(found, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """`text` as it may be printed or recorded: secrets and URL passwords masked."""
        return redact_text(text, self.secret_values())

    def validate(self) -> None:
        """Raise ConfigError for a required key that is unset, thresholds out of order, or a
        workspace that is unusable."""
        for key, spec in KEYS.items():
            if spec.required and self[key] is None:
                raise ConfigError(f"{key} is not set ({_how_to_set(key, spec)})")
        for larger, smaller in ORDERED:
            if (
                self[larger] is not None
                and self[smaller] is not None
                and self[larger] < self[smaller]
            ):
                raise ConfigError(
                    f"{larger} ({self[larger]:g}, {self._src(larger)}) must not be below "
                    f"{smaller} ({self[smaller]:g}, {self._src(smaller)})"
                )
        ws = self["workspace_root"]
        if not ws.is_dir():
            what = "is not a directory" if ws.exists() else "does not exist"
            raise ConfigError(f"workspace_root {ws} {what} (set by {self._src('workspace_root')})")
        if not os.access(ws, os.R_OK | os.X_OK):
            raise ConfigError(f"workspace_root {ws} is not readable")

    def _src(self, key: str) -> str:
        return self.settings[key].describe_source()


def _how_to_set(key: str, spec: KeySpec) -> str:
    ways = []
    if spec.flag:
        ways.append("--" + spec.flag.replace("_", "-"))
    if spec.env:
        ways.append(spec.env)
    ways.append(f"{key}: in {DEFAULT_CONFIG_NAME}")
    return "use " + ", ".join(ways)


def plain_value(value: Any) -> Any:
    """A setting's value as YAML/JSON would write it: paths as strings."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    return value


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}, stopping at keys KEYS knows as leaves."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        is_section = key not in KEYS and any(known.startswith(key + ".") for known in KEYS)
        if isinstance(v, Mapping) and key not in KEYS:
            out.update(flatten(v, key + "."))
        elif is_section and v is None:
            continue  # a section whose keys are all commented out
        elif is_section:
            raise ConfigError(f"{key} is a section: expected keys under it, got {_show(v)}")
        else:
            out[key] = v
    return out


def convert(key: str, value: Any, where: str, base: Path) -> Any:
    """Check and normalise one value of KEYS' type; relative paths are taken from `base`."""
    kind = KEYS[key].type
    # A secret's value is never repeated in an error (stderr may be a shared log).
    shown = mask_secret(value) or "(empty)" if KEYS[key].secret else redact_url(_show(value))
    if value is None:
        return None
    if kind == "path":
        if not isinstance(value, (str, os.PathLike)) or not str(value):
            raise ConfigError(f"{where}: {key} must be a path, got {shown}")
        return _abspath(value, base)
    if kind == "paths":
        items = _as_list(key, value, where)
        return [_abspath(v, base) for v in items]
    if kind == "url":
        return _url(key, value, where, shown)
    if kind in ("str", "segment"):
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string, got {shown}")
        if kind == "segment":
            _check_segment(key, value, where, shown)
        return value
    if kind == "strs":
        return [str(v) for v in _as_list(key, value, where)]
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):  # --set key=0 reads as a number
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise ConfigError(f"{where}: {key} must be true or false, got {shown}")
    if kind in ("int", "number"):
        return _number(key, value, where, shown)
    raise AssertionError(f"unknown key type {kind}")


def _url(key: str, value: Any, where: str, shown: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    try:
        parts = urllib.parse.urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(f"{where}: {key} must be an http(s) URL, got {shown}")
    return text


def _check_segment(key: str, value: str, where: str, shown: str) -> None:
    """One directory name: it is joined under uploads/, so '..', '/' or an empty name would
    put the shared store somewhere else on the share."""
    if not value or value in (".", "..") or "/" in value or "\\" in value:
        raise ConfigError(
            f"{where}: {key} must be one directory name (not empty, no '/', not '.' or '..'), "
            f"got {shown}"
        )
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigError(f"{where}: {key} must not contain control characters, got {shown}")


def _number(key: str, value: Any, where: str, shown: str) -> int | float:
    kind = KEYS[key].type
    if isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be a number, got {shown}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: {key} must be a finite number, got {shown}")
    if kind == "int" and isinstance(value, float) and not value.is_integer():
        raise ConfigError(f"{where}: {key} must be a whole number, got {shown}")
    try:
        number = int(value) if kind == "int" else float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{where}: {key} must be a number, got {shown}") from None
    if not math.isfinite(number):  # "nan" or "inf" from the environment or --set
        raise ConfigError(f"{where}: {key} must be a finite number, got {shown}")
    if number < 0:
        raise ConfigError(f"{where}: {key} must not be negative, got {shown}")
    return number


def _as_list(key: str, value: Any, where: str) -> list[Any]:
    if isinstance(value, str):
        return [v for v in value.split(os.pathsep) if v]
    if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
        raise ConfigError(f"{where}: {key} must be a list, got {redact_url(_show(value))}")
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _abspath(value: Any, base: Path) -> Path:
    path = Path(os.path.expanduser(os.fspath(value)))
    # abspath, not resolve(): a recorded path must never be resolved through the share mount.
    return Path(os.path.normpath(base / path))


def find_config_file(options: argparse.Namespace, environ: Mapping[str, str]) -> Path | None:
    explicit = getattr(options, "config", None)
    if explicit:
        return _named_config_file(explicit, "--config")
    if environ.get(CONFIG_ENV):
        return _named_config_file(environ[CONFIG_ENV], CONFIG_ENV)
    return search_upward(Path.cwd(), environ.get("HOME"))


def search_upward(start: Path, home: str | None) -> Path | None:
    """The nearest ytm-doctor.yaml in `start` or one of its parents, as ruff and pytest find
    theirs, so a command run from deep inside a project uses that project's file. Under $HOME
    the search stops at $HOME: a file above it belongs to another user, or to nobody."""
    boundary = Path(os.path.realpath(home)) if home else None
    for directory in (start, *start.parents):
        candidate = directory / DEFAULT_CONFIG_NAME
        if candidate.is_file():
            return candidate
        if directory == boundary:
            break
    return None


def _named_config_file(raw: str, origin: str) -> Path:
    """The config file the user named, which must be a file (said precisely when it is not)."""
    path = Path(raw).expanduser()
    if path.is_file():
        return path.absolute()
    if path.is_dir():
        what = "is a directory, not a file"
    elif path.exists():
        what = "is not a regular file"
    else:
        what = "does not exist"
    raise ConfigError(f"config file {path} (from {origin}) {what}")


def read_config_file(path: Path) -> dict[str, Any]:
    """The file's keys, flattened. Invalid YAML, a non-mapping or unknown keys raise ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    import yaml  # on first use: see ssot_files.safe_loader

    try:
        data = yaml.load(text, Loader=unique_key_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    flat = flatten(data)
    for key in flat:
        if key not in KEYS:
            import difflib  # only to suggest a name: not on every start-up

            hint = difflib.get_close_matches(key, KEYS, n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            raise ConfigError(f"{path}: unknown key '{key}'{suggestion}")
    return flat


@cache
def unique_key_loader() -> type:
    """The safe loader, refusing a key given twice in one mapping: YAML would silently keep the
    last one, and a setting overridden further down the file is almost always a mistake. Made
    on first use, as yaml is imported (ssot_files.safe_loader)."""

    class UniqueKeyLoader(ssot_files.safe_loader()):  # type: ignore[misc,valid-type]
        pass

    UniqueKeyLoader.add_constructor("tag:yaml.org,2002:map", _construct_unique_mapping)
    return UniqueKeyLoader


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    import yaml

    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *defaults` may be overridden by the mapping's own keys
        key = loader.construct_object(key_node, deep=True)
        try:
            seen = first_line.get(key)
        except TypeError:
            continue  # an unhashable key: the constructor itself says so
        if seen is not None:
            raise yaml.constructor.ConstructorError(
                problem=f"duplicate key {_show(key)} (first at line {seen + 1})",
                problem_mark=key_node.start_mark,
            )
        first_line[key] = key_node.start_mark.line
    return loader.construct_yaml_map(node)


def parse_set_option(item: str) -> tuple[str, Any]:
    """--set KEY=VALUE, the value read as a YAML scalar or list."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or key not in KEYS:
        import difflib  # only to suggest a name: not on every start-up

        hint = difflib.get_close_matches(key, KEYS, n=1)
        suggestion = f" (did you mean {hint[0]}?)" if hint else ""
        # The key only: the value may be a secret given under a mistyped key.
        shown = f"{key}=..." if sep else key
        raise ConfigError(f"--set {shown}: expected KEY=VALUE with a known key{suggestion}")
    import yaml

    try:
        value = yaml.load(raw, Loader=ssot_files.safe_loader()) if raw.strip() else None
    except (yaml.YAMLError, UnicodeEncodeError):  # libyaml takes UTF-8: not a name's odd bytes
        value = raw
    return key, value


def load_config(
    options: argparse.Namespace,
    environ: Mapping[str, str] | None = None,
    *,
    validate: bool = True,
) -> Config:
    """Resolve every key through the four layers, then fill in derived defaults."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd()
    policy = flatten(ssot_files.policy())
    settings = {
        key: Setting(key, convert(key, policy.get(key), "ssot/policy.yaml", cwd), "default")
        for key in KEYS
    }

    def layer(key: str, value: Any, where: str, base: Path) -> Any:
        converted = convert(key, value, where, base)
        if converted is None and policy.get(key) is not None:
            # An empty value would silently replace a working default with nothing.
            raise ConfigError(f"{where}: {key} is empty (remove it to keep the default)")
        return converted

    config_file = find_config_file(options, environ)
    if config_file:
        for key, value in read_config_file(config_file).items():
            converted = layer(key, value, str(config_file), config_file.parent)
            settings[key] = Setting(key, converted, "file", str(config_file))

    for key, spec in KEYS.items():
        if spec.env and environ.get(spec.env) is not None:
            value = layer(key, environ[spec.env], f"environment {spec.env}", cwd)
            settings[key] = Setting(key, value, "env", spec.env)

    for item in getattr(options, "set", None) or []:
        key, raw = parse_set_option(item)
        settings[key] = Setting(key, layer(key, raw, f"--set {key}", cwd), "flag", "--set")
    for key, spec in KEYS.items():
        value = getattr(options, spec.flag, None) if spec.flag else None
        if value is not None:
            flag = "--" + spec.flag.replace("_", "-")
            settings[key] = Setting(key, layer(key, value, flag, cwd), "flag", flag)

    config = Config(settings=settings, file=config_file, options=options)
    if validate:
        config.validate()
    return config
