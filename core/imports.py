"""What every importer shares: reading text files safely, the report, the all-or-nothing rule, COPY."""

from __future__ import annotations

import codecs
import collections
import csv
import functools
import gzip
import hashlib
import io
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from sqlalchemy.engine import Connection
from tqdm import tqdm

from core.errors import InvalidInput, TooLarge
from core.settings import installed

MAX_REJECTS_SHOWN = 50
COMPRESSED_SUFFIXES = (".gz", ".zip")  # read directly: .gz CSV and vector files, .zip shapefiles (GDAL /vsizip/)
CHUNK_BYTES = 1 << 20
MAX_CSV_FIELD = 1_000_000  # characters: room for the WKT of a 20,000-vertex polygon, the largest geometry accepted


@dataclass
class Rejected:
    """One input row refused, with the row's number in the file (1 = first data row) and why; ``field`` and
    ``value`` name the bad field and its value where one field is to blame."""

    row: int
    reason: str
    field: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The rejection as plain data (field and value only when known)."""
        named = {"field": self.field, "value": self.value} if self.field else {}
        return {"row": self.row, "reason": self.reason, **named}


@dataclass
class ImportReport:
    """Summary of one import run: read / written (inserted + updated) / unchanged / rejected."""

    source: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checksum: str = ""

    @property
    def written(self) -> int:
        """Rows inserted or changed."""
        return self.inserted + self.updated

    def summary(self) -> str:
        """One line for the end of a CLI run."""
        return (
            f"{self.source}: read {self.read}, written {self.written} "
            f"(inserted {self.inserted}, updated {self.updated}), unchanged {self.unchanged}, "
            f"rejected {len(self.rejected)}"
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (for the audit log and the API)."""
        return {
            "source": self.source,
            "checksum": self.checksum,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [r.as_dict() for r in self.rejected[:MAX_REJECTS_SHOWN]],
            "rejected_count": len(self.rejected),
            "notes": self.notes,
        }


# --- importers the audit-log replay can re-run ---------------------------------------------------------
Importer = Callable[..., ImportReport]
ImporterT = TypeVar("ImporterT", bound=Importer)


@dataclass(frozen=True)
class ReplayableImporter:
    """An importer registered for replay: how it reads its input (``path`` of the archived file, or its ``bytes``
    with ``name=``) and the function, called as ``run(conn, input, actor=..., **params)`` with the parameters its
    audit row recorded (core.files.archive_input)."""

    run: Importer
    reads: Literal["path", "bytes"]


REPLAY_IMPORTERS: dict[str, ReplayableImporter] = {}


def replayable(name: str, *, reads: Literal["path", "bytes"]) -> Callable[[ImporterT], ImporterT]:
    """Register the decorated importer for audit-log replay under ``name``, the importer name its audit rows give
    (``archive_input(..., importer=name)``); each context registers its own, so the replay names none of them."""

    def register(run: ImporterT) -> ImporterT:
        if name in REPLAY_IMPORTERS:
            raise ValueError(f"importer {name!r} is registered twice")
        REPLAY_IMPORTERS[name] = ReplayableImporter(run, reads)
        return run

    return register


def enforce_all_or_nothing(report: ImportReport, skip_invalid: bool) -> None:
    """Refuse the whole import when a row was rejected, unless ``skip_invalid`` was asked for."""
    if report.rejected and not skip_invalid:
        lines = [f"row {r.row}: {r.reason}" for r in report.rejected[:MAX_REJECTS_SHOWN]]
        more = len(report.rejected) - len(lines)
        raise InvalidInput(
            f"{report.source}: {len(report.rejected)} row(s) rejected, nothing written "
            f"(use --skip-invalid to write the valid rows):\n  "
            + "\n  ".join(lines)
            + (f"\n  ... and {more} more" if more > 0 else ""),
            extra={"rejected": [r.as_dict() for r in report.rejected[:MAX_REJECTS_SHOWN]]},
        )


def progress(rows: Sequence[Any], description: str) -> Iterable[Any]:
    """Rows with a progress bar on a terminal (silent otherwise: tests, pipes, logs)."""
    return tqdm(rows, desc=description, unit="row", disable=None, leave=False, mininterval=0.5)


def require_file(path: Path) -> Path:
    """The path, if it names a readable file; a ``.gz`` or ``.zip`` file must also stay within the decompressed-size
    limit (see :func:`decompressed_chunks`; streamed, in constant memory)."""
    if not path.is_file():
        raise InvalidInput(f"file not found: {path}")
    if path.suffix.lower() in COMPRESSED_SUFFIXES:
        collections.deque(decompressed_chunks(path), maxlen=0)
    return path


def decompressed_chunks(path: Path, limit: int | None = None) -> Iterator[bytes]:
    """The content of a ``.gz`` file (of a ``.zip`` file: its members one after another), decompressed in chunks.

    Refused (413) as soon as it passes ``limit`` bytes (default: the setting ``GAZ_MAX_DECOMPRESSED_BYTES``), so a
    gzip bomb never reaches memory; a file that is not valid gzip or zip is refused (422). Both name the file.
    """
    limit = limit or installed().imports.max_decompressed_bytes
    kind = "zip" if path.suffix.lower() == ".zip" else "gzip"
    total = 0
    try:
        for chunk in _expanded(path, kind):
            total += len(chunk)
            if total > limit:
                raise TooLarge(
                    f"{path.name}: decompresses to more than {limit:,} bytes, the limit for compressed input "
                    "(GAZ_MAX_DECOMPRESSED_BYTES); nothing was imported"
                )
            yield chunk
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError) as exc:
        raise InvalidInput(f"{path.name}: not a valid {kind} file ({exc})") from None


def _expanded(path: Path, kind: str) -> Iterator[bytes]:
    if kind == "gzip":
        with gzip.open(path, "rb") as stream:
            yield from iter(functools.partial(stream.read, CHUNK_BYTES), b"")
        return
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            with archive.open(member) as stream:
                yield from iter(functools.partial(stream.read, CHUNK_BYTES), b"")


def file_checksum(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_text(path: Path, encoding: str | None = None) -> str:
    """The file's text (``.gz`` decompressed within the limit of :func:`decompressed_chunks`). UTF-8 unless another
    encoding is declared (see :func:`decode_text`)."""
    if path.suffix.lower() == ".gz" and path.is_file():
        raw = b"".join(decompressed_chunks(path))
    else:
        raw = require_file(path).read_bytes()
    return decode_text(raw, path.name, encoding)


# The text encodings an input file may be declared in (setting ``encoding``; the OpenAPI lists them as an enum): the
# office's files are UTF-8 (with or without BOM) or GBK/GB18030. Any other Python codec (rot13, base64, zlib_codec,
# undefined...) is refused before anything is decoded.
TextEncoding = Literal["utf-8", "utf-8-sig", "gbk", "gb18030"]
TEXT_ENCODINGS: tuple[str, ...] = get_args(TextEncoding)


def decode_text(raw: bytes, name: str, encoding: str | None = None) -> str:
    """The text of a file's bytes (``name`` for messages; a BOM is dropped). UTF-8 unless another encoding of
    ``TEXT_ENCODINGS`` is declared (any spelling Python knows: ``UTF8``, ``GBK``, ``cp936``...).

    An undeclared non-UTF-8 file is refused with the offset of the first bad byte and a hint
    (GBK files are common: declare them with ``encoding="gbk"``).
    """
    if encoding:
        accepted = ", ".join(TEXT_ENCODINGS)
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise InvalidInput(f"unknown encoding {encoding!r}: use one of {accepted}") from None
        if codec not in TEXT_ENCODINGS:
            raise InvalidInput(f"encoding {encoding!r} is not a text encoding accepted here: use one of {accepted}")
        if codec == "gbk":
            codec = "gb18030"  # the superset: every GBK file decodes the same
        try:
            return raw.decode(codec).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{name}: not valid {encoding} at byte {exc.start}") from None
    try:
        return raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{name}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}, line {line}); "
            "if the file is GBK, declare it (--encoding gbk)"
        ) from None


def csv_table(text: str, name: str) -> tuple[list[str], list[dict[Any, Any]]]:
    """The header and the rows of CSV text (dicts by column name; values beyond the header under the key None, as
    csv.DictReader gives them). A field longer than ``MAX_CSV_FIELD`` characters, or text the
    csv module cannot read, is refused (422) naming its line (the module's own error was a 500)."""
    csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return list(reader.fieldnames or []), list(reader)
    except csv.Error as exc:
        raise InvalidInput(
            f"{name}: line {reader.line_num + 1}: {exc}; a CSV field may hold at most {MAX_CSV_FIELD:,} characters"
        ) from None


def read_csv(path: Path, required: Sequence[str], encoding: str | None = None) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts; refuses a file that lacks one of the ``required`` columns."""
    header, rows = csv_table(read_text(path, encoding), path.name)
    missing = [column for column in required if column not in header]
    if missing:
        raise InvalidInput(
            f"{path.name}: missing column(s) {', '.join(missing)}; the file has: {', '.join(header) or 'no header'}"
        )
    return rows


def has_control_characters(value: str) -> bool:
    """True when the string holds a control character (tabs and newlines included)."""
    return any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value)


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Bulk-load rows into ``table`` with COPY, inside the connection's transaction."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
