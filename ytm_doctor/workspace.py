"""The workspace model the checks read: episodes, their stage and their runs (SPEC §4).

Loading never raises on bad input. A CSV or status.json that cannot be read or parsed becomes an
InputProblem and everything else still loads, so one broken file cannot hide the rest of the
workspace from the checks. Names are str; bytes that are not UTF-8 stay as surrogates.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import os
import re
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ytm_doctor.jsonio import (
    INVALID_JSON,
    MISSING,
    NOT_UTF8,
    TOO_LARGE,
    UNREADABLE,
    JsonInputError,
    read_json_object,
)

if TYPE_CHECKING:
    from ytm_doctor.config import Config
    from ytm_doctor.paths import Paths

# [0-9], not \d: \d also matches other scripts' digits, which no directory name should carry.
CHANNEL_RE = re.compile(r"CH[0-9]{2}")
VIDEO_RE = re.compile(r"[0-9]{3}")
PLANNING_CSV_RE = re.compile(r"(CH[0-9]{2})\.csv")
STATUS_FILE = "status.json"
STATUS_MAX_BYTES = 1 << 20  # a status.json is a few hundred bytes; a huge one is not one
INPUT_DIR = "video/input"  # what an episode's video is made from (links into the share, or not)
# The thumbnails pipeline's list of projects and their variants (YTM801; the thumbnails kind).
PROJECTS_JSON = "thumbnails/projects.json"
MAX_PROJECTS_BYTES = 16 << 20
PLANNING_CSV_MAX_BYTES = 32 << 20  # a channel sheet is a few hundred rows
# The seeds' name for a link renamed aside by a fallback or a fix: <name><BACKUP_MARK><stamp>.
BACKUP_MARK = ".symlink_shared_backup_"
DRAFT_LINK = "capcut_draft"  # video/runs/<run_id>/capcut_draft -> the CapCut draft
_EPISODE_SEGMENT = re.compile(r"(CH[0-9]{2})-([0-9]{3})(?![0-9])")
MAX_VIDEO = 999


@dataclass(frozen=True)
class InputProblem:
    """A workspace file that could not be read or understood; the file is treated as absent."""

    path: Path
    message: str


class Stage(str, Enum):
    HOT = "hot"
    FREEZE = "freeze"
    PUBLISHED = "published"


@dataclass(frozen=True)
class PlanningPolicy:
    """Planning CSV column names and status values (ssot/policy.yaml `planning.*`)."""

    video_columns: tuple[str, ...]
    status_columns: tuple[str, ...]
    published_values: frozenset[str]
    freeze_values: frozenset[str]

    @classmethod
    def from_config(cls, config: Config | Mapping[str, Any]) -> PlanningPolicy:
        def strings(key: str) -> tuple[str, ...]:
            return tuple(str(v) for v in (config[key] or ()))

        return cls(
            video_columns=strings("planning.video_columns"),
            status_columns=strings("planning.status_columns"),
            published_values=frozenset(strings("planning.published_values")),
            freeze_values=frozenset(strings("planning.freeze_values")),
        )

    def stage(self, status: str | None, publish_lock: bool) -> Stage:
        value = (status or "").strip()
        if publish_lock or value in self.published_values:
            return Stage.PUBLISHED
        if value in self.freeze_values:
            return Stage.FREEZE
        return Stage.HOT


@dataclass
class Episode:
    channel: str  # "CH02"
    video: str  # "012"
    stage: Stage
    planning_status: str | None  # the raw status cell; None without a CSV row or status column
    publish_lock: bool
    video_run_id: str | None  # metadata.video_run_id of status.json
    script_dir: Path | None  # <ws>/scripts/<CH>/<NNN> when it is a directory
    in_planning: bool  # has a row in the planning CSV
    # Its channel's planning CSV could not be used (unreadable, empty, a directory): its stage
    # is unknown. Safety guards still treat it as unposted; checks do not call it Hot.
    planning_unknown: bool = False

    @property
    def id(self) -> str:
        return f"{self.channel}-{self.video}"

    @property
    def unposted(self) -> bool:
        """Known to be unposted (Hot or Freeze): what the draft checks judge."""
        return self.stage != Stage.PUBLISHED and not self.planning_unknown


@dataclass
class Workspace:
    root: Path
    planning_root: Path  # the directory whose channels/*.csv were read
    planning_source: str  # "sot", "cache" (<ws>/planning) or "none"
    episodes: dict[str, Episode]  # by episode id, in (channel, video) order
    # run id -> <ws>/video/runs/<run_id>, a str: a Path each costs a workspace of ten thousand
    # runs tens of milliseconds, and every reader wants the text (os.fspath)
    runs: dict[str, str]
    problems: list[InputProblem] = field(default_factory=list)
    # lstat mtime of each run, taken while listing so choosing a run does no further I/O.
    run_mtimes_ns: dict[str, int] = field(default_factory=dict, repr=False)
    # The runs that are symlinks (to a run elsewhere), seen in the same listing.
    run_links: frozenset[str] = frozenset()

    def channels(self) -> list[str]:
        return sorted({ep.channel for ep in self.episodes.values()})

    def episode(self, channel: str, video: str) -> Episode | None:
        number = normalize_video(video)
        return self.episodes.get(f"{channel}-{number}") if number else None

    def runs_for(self, ep: Episode) -> list[str]:
        """The run ids starting with the episode's id, sorted. Found by bisection in the sorted
        ids: the checks ask for every episode, and a pass over every run each time made a scan
        of thousands of episodes and runs quadratic."""
        ids = self._sorted_run_ids
        found = []
        i = bisect.bisect_left(ids, ep.id)
        while i < len(ids) and ids[i].startswith(ep.id):  # the ids sharing a prefix are adjacent
            found.append(ids[i])
            i += 1
        return found

    @cached_property
    def _sorted_run_ids(self) -> list[str]:
        return sorted(self.runs)

    def adopted_run(self, ep: Episode) -> str | None:
        """metadata.video_run_id when set (even if that run is gone: the checks report that);
        otherwise the newest run named after the episode, ties going to the later name."""
        if ep.video_run_id:
            return ep.video_run_id
        candidates = self.runs_for(ep)
        if not candidates:
            return None
        return max(candidates, key=lambda run_id: (self.run_mtimes_ns.get(run_id, -1), run_id))


def episode_of(rel: str) -> tuple[str | None, str | None]:
    """(channel, video) a workspace path clearly belongs to: a segment named CHxx-NNN… (episode
    dirs, run ids), else a CHxx segment followed by an NNN one (scripts/CH02/012/…), else CHxx."""
    parts = rel.split("/")
    for part in parts:
        m = _EPISODE_SEGMENT.match(part)
        if m:
            return m.group(1), m.group(2)
    for i, part in enumerate(parts):
        if CHANNEL_RE.fullmatch(part):
            video = parts[i + 1] if i + 1 < len(parts) else None
            return part, video if video and VIDEO_RE.fullmatch(video) else None
    return None, None


def is_run_draft_link(rel: str) -> bool:
    """video/runs/<run>/capcut_draft, or …/runs/<run>/capcut_draft inside video/_archive/:
    links that belong to the draft rules (YTM401/YTM402), not to the generic link rules."""
    parts = rel.split("/")
    if parts[-1] != DRAFT_LINK:
        return False
    if rel.startswith("video/runs/"):
        return len(parts) == 4
    return rel.startswith("video/_archive/") and len(parts) >= 4 and parts[-3] == "runs"


def normalize_video(cell: str) -> str | None:
    """Cells "12", "012", " 12 " and full-width "１２" -> "012"; None unless a number 0-999."""
    text = unicodedata.normalize("NFKC", cell).strip()
    if not text or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return f"{number:03d}" if number <= MAX_VIDEO else None


def load_workspace(paths: Paths, policy: PlanningPolicy) -> Workspace:
    root = Path(paths.workspace_root)
    problems: list[InputProblem] = []
    planning_root, source, csv_files = _find_planning(Path(paths.planning_root), root / "planning")

    statuses: dict[tuple[str, str], str | None] = {}
    unknown: set[str] = set()  # channels whose CSV could not be used
    for channel, csv_path in csv_files:
        before = len(problems)
        rows = _read_planning_csv(csv_path, policy, problems)
        if not rows and len(problems) > before:
            unknown.add(channel)
        for video, status in rows.items():
            statuses[(channel, video)] = status

    script_dirs = _scan_script_dirs(root / "scripts", problems)

    episodes: dict[str, Episode] = {}
    for channel, video in sorted(statuses.keys() | script_dirs.keys()):
        script_dir = script_dirs.get((channel, video))
        lock, run_id = False, None
        if script_dir is not None:
            lock, run_id = _read_status_json(script_dir / STATUS_FILE, problems)
        in_planning = (channel, video) in statuses
        status = statuses.get((channel, video))
        ep = Episode(
            channel=channel,
            video=video,
            stage=policy.stage(status, lock),
            planning_status=status,
            publish_lock=lock,
            video_run_id=run_id,
            script_dir=script_dir,
            in_planning=in_planning,
            planning_unknown=channel in unknown and not lock,
        )
        episodes[ep.id] = ep

    runs, mtimes, links = _scan_runs(root / "video" / "runs", problems)
    return Workspace(
        root=root,
        planning_root=planning_root,
        planning_source=source,
        episodes=episodes,
        runs=runs,
        problems=problems,
        run_mtimes_ns=mtimes,
        run_links=frozenset(links),
    )


def _list_dir(path: Path) -> list[os.DirEntry[str]]:
    with os.scandir(path) as it:
        return list(it)


def _find_planning(sot: Path, cache: Path) -> tuple[Path, str, list[tuple[str, Path]]]:
    """The planning dir to read and its channel CSVs. The SoT counts as missing when its
    channels/ cannot be listed: an unmounted share often leaves an empty stub directory."""
    for planning_root, source in ((sot, "sot"), (cache, "cache")):
        try:
            entries = _list_dir(planning_root / "channels")
        except OSError:
            continue
        files = []
        for entry in entries:
            match = PLANNING_CSV_RE.fullmatch(entry.name)
            if match:
                # A CSV that is not a file (a directory) is listed so that reading it fails
                # and says so, instead of its channel's episodes silently counting as Hot.
                files.append((match.group(1), Path(entry.path)))
        return planning_root, source, sorted(files)
    return sot, "none", []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _read_planning_csv(
    path: Path, policy: PlanningPolicy, problems: list[InputProblem]
) -> dict[str, str | None]:
    """video -> raw status cell (None without a status column). Non-numeric video cells are
    notes or blank lines in the sheet, so they are skipped without a problem."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(PLANNING_CSV_MAX_BYTES + 1)
        if len(raw) > PLANNING_CSV_MAX_BYTES:
            problems.append(
                InputProblem(path, f"planning CSV is over {PLANNING_CSV_MAX_BYTES >> 20} MiB")
            )
            return {}
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        problems.append(InputProblem(path, f"cannot read planning CSV: {exc.strerror or exc}"))
        return {}
    except UnicodeDecodeError as exc:
        problems.append(
            InputProblem(path, f"planning CSV is not UTF-8 (bad byte at offset {exc.start})")
        )
        return {}
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        problems.append(InputProblem(path, f"planning CSV cannot be parsed: {exc}"))
        return {}
    if not rows or not any(cell.strip() for cell in rows[0]):
        problems.append(InputProblem(path, "planning CSV is empty: its episodes' stage is unknown"))
        return {}

    header = [cell.strip() for cell in rows[0]]
    video_col = _first_column(header, policy.video_columns)
    if video_col is None:
        wanted = ", ".join(policy.video_columns)
        problems.append(InputProblem(path, f"planning CSV has no video column (one of: {wanted})"))
        return {}
    status_col = _first_column(header, policy.status_columns)
    if status_col is None:
        wanted = ", ".join(policy.status_columns)
        problems.append(
            InputProblem(
                path, f"planning CSV has no status column (one of: {wanted}); all rows are Hot"
            )
        )

    result: dict[str, str | None] = {}
    first_line: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        video = normalize_video(row[video_col]) if video_col < len(row) else None
        if video is None:
            continue
        if video in result:
            # Keep the first row: a later duplicate is more likely a copy-paste leftover.
            problems.append(
                InputProblem(
                    path,
                    f"video {video} appears on lines {first_line[video]} and {line}; "
                    f"using line {first_line[video]}",
                )
            )
            continue
        status = None
        if status_col is not None:
            status = row[status_col] if status_col < len(row) else ""
        result[video] = status
        first_line[video] = line
    return result


def _first_column(header: list[str], names: tuple[str, ...]) -> int | None:
    """Index of the first of `names` (in policy order, not CSV order) that the header has."""
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _scan_script_dirs(scripts: Path, problems: list[InputProblem]) -> dict[tuple[str, str], Path]:
    try:
        channels = _list_dir(scripts)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        problems.append(InputProblem(scripts, f"cannot list scripts: {exc.strerror or exc}"))
        return {}
    found: dict[tuple[str, str], Path] = {}
    for ch in channels:
        if not CHANNEL_RE.fullmatch(ch.name) or not _is_dir(ch):
            continue
        try:
            videos = _list_dir(Path(ch.path))
        except OSError as exc:
            problems.append(InputProblem(Path(ch.path), f"cannot list: {exc.strerror or exc}"))
            continue
        for v in videos:
            if VIDEO_RE.fullmatch(v.name) and _is_dir(v):
                found[(ch.name, v.name)] = Path(v.path)
    return found


def _status_problem(exc: JsonInputError) -> str:
    """The problem line for a status.json that cannot be used (the path is printed beside it)."""
    return {
        UNREADABLE: f"cannot read {STATUS_FILE}: {exc.detail}",
        INVALID_JSON: f"{STATUS_FILE} is not valid JSON: {exc.detail}",
        NOT_UTF8: f"{STATUS_FILE} is not UTF-8 ({exc.detail})",
        TOO_LARGE: f"{STATUS_FILE} is {exc.reason}",
    }.get(exc.kind, f"{STATUS_FILE} {exc.reason}")  # "must be an object, got list"


def _read_status_json(path: Path, problems: list[InputProblem]) -> tuple[bool, str | None]:
    """(publish_lock, video_run_id). Each field that is wrong falls back to its default on its
    own, so a bad publish_lock does not also throw away a good video_run_id."""
    try:
        data = read_json_object(path, max_bytes=STATUS_MAX_BYTES, what=STATUS_FILE, allow_bom=True)
    except JsonInputError as exc:
        if exc.kind != MISSING:
            problems.append(InputProblem(path, _status_problem(exc)))
        return False, None

    lock = data.get("publish_lock", False)
    if lock is None:
        lock = False
    if not isinstance(lock, bool):
        problems.append(
            InputProblem(path, f"publish_lock must be true or false, got {json.dumps(lock)}")
        )
        lock = False

    metadata = data.get("metadata")
    run_id = None
    if metadata is not None and not isinstance(metadata, dict):
        problems.append(
            InputProblem(path, f"metadata must be an object, got {type(metadata).__name__}")
        )
    elif metadata:
        run_id = metadata.get("video_run_id")
        if run_id is not None and not isinstance(run_id, str):
            problems.append(
                InputProblem(
                    path, f"metadata.video_run_id must be a string, got {json.dumps(run_id)}"
                )
            )
            run_id = None
    return lock, run_id or None


def _scan_runs(
    runs_dir: Path, problems: list[InputProblem]
) -> tuple[dict[str, str], dict[str, int], set[str]]:
    """The runs (by id), their lstat mtimes and which of them are links, from one listing."""
    try:
        entries = _list_dir(runs_dir)
    except FileNotFoundError:
        return {}, {}, set()
    except OSError as exc:
        problems.append(InputProblem(runs_dir, f"cannot list runs: {exc.strerror or exc}"))
        return {}, {}, set()
    runs: dict[str, str] = {}
    mtimes: dict[str, int] = {}
    links: set[str] = set()
    for entry in sorted(entries, key=lambda e: e.name):
        # is_dir() follows symlinks on purpose: a run linked in from elsewhere is still a run.
        if not _is_dir(entry):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # vanished between listing and stat
        runs[entry.name] = entry.path
        mtimes[entry.name] = st.st_mtime_ns
        if stat.S_ISLNK(st.st_mode):
            links.add(entry.name)
    return runs, mtimes, links
