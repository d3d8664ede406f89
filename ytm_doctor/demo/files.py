"""Small writers for the demo tree: real (tiny, valid) media files, JSON and text, relative
links, and the copy the Hot -> Vault mirror would have made."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import wave
import zlib
from pathlib import Path


def copy_files(src: Path, dst: Path) -> None:
    """Copy regular files and dirs only. Symlinks are skipped: a draft link is Mac-local and
    would dangle on the share, and the Vault keeps its own portable links (seed 002)."""
    for folder, dirs, files in os.walk(src):
        here = Path(folder)
        target = dst / here.relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
        for name in files:
            if not (here / name).is_symlink():
                shutil.copy2(here / name, target / name)


def symlink(link: Path, target: Path) -> None:
    """A relative link, so the demo still resolves after being moved."""
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent), target_is_directory=target.is_dir())


def write_json(path: Path, data: object) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def png_bytes(rgb: tuple[int, int, int]) -> bytes:
    """A valid 1x1 RGB PNG, so image tools and browsers accept the demo's thumbnails."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + bytes(rgb))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def wav_bytes() -> bytes:
    """A valid WAV: 0.1 s of silence, 8 kHz mono 16-bit."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


def mp4_bytes() -> bytes:
    # An ftyp box and padding: enough to look like an MP4 to `file`, small enough to ignore.
    return struct.pack(">I", 24) + b"ftypisom" + b"\x00\x00\x02\x00isomiso2" + b"\x00" * 1000


def mp3_bytes() -> bytes:
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 413
