"""Files kept outside the database, stored once under their SHA-256: images checked by their content, and the
input files of every import (the import archive the audit log replays from)."""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from core.errors import InvalidInput, ServiceUnavailable, TooLarge
from core.imports import file_checksum, has_control_characters
from core.settings import installed

IMAGE_SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
IMAGE_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
MAX_ORIGINAL_NAME = 200


def sniff_image_type(content: bytes) -> str | None:
    """JPEG or PNG from the file's first bytes; None for anything else."""
    return next((media for media, magic in IMAGE_SIGNATURES.items() if content.startswith(magic)), None)


@dataclass(frozen=True)
class CheckedImage:
    """An uploaded image that passed the checks: its media type, size, SHA-256 and the file name it is stored as."""

    media_type: str
    size_bytes: int
    sha256: str

    @property
    def file_name(self) -> str:
        """``<sha256>.jpg`` or ``<sha256>.png``."""
        return f"{self.sha256}.{IMAGE_EXTENSIONS[self.media_type]}"


def check_image(content: bytes, *, max_bytes: int, declared_type: str = "", original_name: str = "") -> CheckedImage:
    """Refuse an upload that is too large (413), not a JPEG or PNG by its content, declared as another type, or
    named with more than one line or 200 characters (422); the checked image otherwise."""
    if len(content) > max_bytes:
        raise TooLarge(f"photo of {len(content):,} bytes exceeds the limit of {max_bytes:,} bytes")
    media_type = sniff_image_type(content)
    if media_type is None:
        raise InvalidInput(f"photo {original_name!r} is not a JPEG or PNG image (its first bytes are neither)")
    declared = declared_type.split(";")[0].strip().lower()
    if declared not in ("", "application/octet-stream", media_type):
        raise InvalidInput(f"photo {original_name!r} is declared {declared!r} but its content is {media_type}")
    if len(original_name) > MAX_ORIGINAL_NAME or has_control_characters(original_name):
        raise InvalidInput(f"photo name {original_name!r} must be a single line of at most 200 characters")
    return CheckedImage(media_type, len(content), hashlib.sha256(content).hexdigest())


def write_once(path: Path, content: bytes) -> None:
    """Write a content-named file atomically (a temporary file renamed into place); an existing one is kept."""
    if not path.is_file():
        write_atomically(path, content)


def write_atomically(path: Path, content: bytes) -> None:
    """Write a file through a temporary file renamed into place: readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)


# --- the import archive ----------------------------------------------------------------------------
ARCHIVED_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


def archived_name(digest: str, name: str) -> str:
    """Where a file lives in the archive: ``<sha256[:2]>/<sha256><suffixes>`` (at most two plain suffixes of its
    name, e.g. ``.csv.gz``, so the archive shows what each file is)."""
    suffixes: list[str] = []
    for suffix in reversed(PurePath(name).suffixes):
        if len(suffixes) == 2 or not ARCHIVED_SUFFIX.match(suffix):
            break
        suffixes.insert(0, suffix)
    return f"{digest[:2]}/{digest}{''.join(suffixes)}"


def input_files(path: Path) -> list[Path]:
    """The file an import reads and, for a shapefile, its sidecar files (same stem: .dbf, .shx, .prj, .cpg...)."""
    if path.suffix.lower() != ".shp":
        return [path]
    sidecars = sorted(p for p in path.parent.glob(f"{glob.escape(path.stem)}.*") if p != path and p.is_file())
    return [path, *sidecars]


def archive_input(
    data: Path | bytes, /, *, importer: str, name: str | None = None, archive_dir: Path | None = None, **params: Any
) -> dict[str, Any]:
    """Keep an import's input in the import archive and answer what its audit row needs to re-run it.

    ``data`` is the file read (a shapefile brings its sidecars) or the bytes received (named ``name``); each
    file is stored as :func:`archived_name` under ``archive_dir`` (setting ``GAZ_IMPORT_ARCHIVE_DIR``), written
    atomically, an identical file already there left alone. The answer names the ``importer``, its ``params``
    (keyword arguments of the service function) and each file (original name, SHA-256, size, archived name).
    An archive that cannot be written raises ServiceUnavailable: the caller's transaction, and so the import,
    is rolled back.
    """
    if isinstance(data, Path):
        files = [(p.name, p.read_bytes()) for p in input_files(data)]
    else:
        files = [(name or "input", data)]
    folder = archive_dir or installed().imports.import_archive_dir
    archived = []
    for file_name, content in files:
        digest = hashlib.sha256(content).hexdigest()
        relative = archived_name(digest, file_name)
        target = folder / relative
        try:
            if not (target.is_file() and file_checksum(target) == digest):
                write_atomically(target, content)
        except OSError as exc:
            raise ServiceUnavailable(
                f"the import archive {folder} cannot be written ({exc.strerror or exc}): nothing was imported; "
                "set GAZ_IMPORT_ARCHIVE_DIR to a writable folder"
            ) from None
        archived.append({"name": file_name, "sha256": digest, "size": len(content), "archived": relative})
    return {"importer": importer, "params": params, "files": archived}


def restore_inputs(replay: dict[str, Any], folder: Path, archive_dir: Path | None = None) -> list[Path]:
    """Copy an import's archived files (the ``replay`` part of its audit row) into ``folder`` under their original
    names, each checked against its SHA-256; the first is the file to import. InvalidInput names a file that is
    missing from the archive or no longer matches its checksum."""
    archive = archive_dir or installed().imports.import_archive_dir
    paths = []
    for entry in replay["files"]:
        stored = archive / entry["archived"]
        if not stored.is_file():
            raise InvalidInput(f"archived file {entry['name']} ({stored}) is missing from the import archive")
        if file_checksum(stored) != entry["sha256"]:
            raise InvalidInput(
                f"archived file {entry['name']} ({stored}) no longer matches its SHA-256 {entry['sha256']}"
            )
        target = folder / (PurePath(entry["name"]).name or "input")
        shutil.copyfile(stored, target)
        paths.append(target)
    return paths
