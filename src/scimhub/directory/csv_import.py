"""Bulk creation of directory users from CSV.

The header row names the columns (``username,email,firstname,lastname,department,jobTitle``
and optionally ``state``; snake_case and other spellings are accepted). A header that is
missing a required column or names an unknown one refuses the whole file before anything
is written. Each data row is then validated and inserted on its own: rows are committed in
batches, each row in its own savepoint, so a bad row is reported with its line number and
leaves nothing behind while the other rows go in. Rows are streamed, not read whole.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection

from scimhub.problems import Conflict, Invalid, Problem
from scimhub.storage.transactions import write_tx

from .models import DirectoryUser, UserState
from .users import Users, insert_user
from .validation import NewUser, new_user

__all__ = ["COLUMNS", "CsvReport", "RowError", "import_csv", "import_csv_bytes"]

#: The canonical header, as admins write it.
COLUMNS = ("username", "email", "firstname", "lastname", "department", "jobTitle", "state")
_REQUIRED = ("username", "email")
#: Header spellings (lower-cased, without spaces, '_' and '-') -> service field names.
_ALIASES = {
    "username": "username",
    "email": "email",
    "emailaddress": "email",
    "firstname": "firstname",
    "givenname": "firstname",
    "lastname": "lastname",
    "surname": "lastname",
    "familyname": "lastname",
    "department": "department",
    "jobtitle": "job_title",
    "title": "job_title",
    "state": "state",
}
_BATCH = 200

Row = tuple[int, dict[str, str]]


class _Reader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...

    def __iter__(self) -> Iterator[list[str]]: ...


@dataclass(frozen=True, slots=True)
class RowError:
    """Why the row starting on ``line`` (1-based, the header is line 1) was not imported."""

    line: int
    username: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class CsvReport:
    created: list[DirectoryUser] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def import_csv_bytes(
    users: Users, data: bytes, *, default_state: UserState = UserState.ACTIVATED
) -> CsvReport:
    """``import_csv`` on UTF-8 bytes (a byte order mark is fine); other encodings are Invalid."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"The file is not UTF-8 text (byte {exc.start} is invalid)") from None
    return import_csv(users, io.StringIO(text, newline=""), default_state=default_state)


def import_csv(
    users: Users,
    lines: Iterable[str],
    *,
    default_state: UserState = UserState.ACTIVATED,
    batch_size: int = _BATCH,
) -> CsvReport:
    """Create a user per data row; Invalid (nothing written) if the header is unusable."""
    reader = csv.reader(lines)
    columns = _columns(reader)
    report = CsvReport()
    importer = _Importer(users, report, default_state)
    batch: list[Row] = []
    for row in _rows(reader, columns, report):
        batch.append(row)
        if len(batch) >= batch_size:
            importer.run(batch)
            batch = []
    importer.run(batch)
    report.errors.sort(key=lambda e: e.line)
    return report


class _Importer:
    """Inserts batches of rows, remembering which usernames and emails the file used."""

    def __init__(self, users: Users, report: CsvReport, default_state: UserState) -> None:
        self.users = users
        self.report = report
        self.default_state = default_state
        self.lines: dict[str, int] = {}

    def run(self, batch: list[Row]) -> None:
        if not batch:
            return
        created: list[DirectoryUser] = []
        with write_tx(self.users.engine) as conn:
            for line, values in batch:
                user = self._one(conn, line, values)
                if user is not None:
                    created.append(user)
        self.report.created.extend(created)

    def _one(self, conn: Connection, line: int, values: dict[str, str]) -> DirectoryUser | None:
        try:
            new = new_user(**({"state": self.default_state} | _without_blank_state(values)))
            self._refuse_repeated(new)
            user = insert_user(conn, new, self.users.changes)
        except Problem as exc:
            username = values.get("username", "").strip() or None
            self.report.errors.append(RowError(line, username, exc.detail))
            return None
        self.lines[f"u:{new.username.lower()}"] = self.lines[f"e:{new.email.lower()}"] = line
        return user

    def _refuse_repeated(self, new: NewUser) -> None:
        for key, what, value in (("u", "username", new.username), ("e", "email", new.email)):
            earlier = self.lines.get(f"{key}:{value.lower()}")
            if earlier is not None:
                raise Conflict(f"The {what} '{value}' repeats line {earlier} of this file")


def _without_blank_state(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if k != "state" or v.strip()}


def _columns(reader: Iterator[list[str]]) -> list[str]:
    """The service field of each column; Invalid if the header cannot be used."""
    header = next((row for row in _readable(reader) if any(c.strip() for c in row)), None)
    expected = ",".join(COLUMNS)
    if header is None:
        raise Invalid(f"The file is empty; its first row must name the columns: {expected}")
    names = [re.sub(r"[\s_-]", "", h.strip().lstrip("\ufeff").lower()) for h in header]
    unknown = [h for h, n in zip(header, names, strict=True) if n not in _ALIASES]
    if unknown:
        raise Invalid(f"Unknown column(s) {', '.join(map(repr, unknown))}; use {expected}")
    columns = [_ALIASES[n] for n in names]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise Invalid(f"The column(s) {', '.join(repeated)} appear more than once")
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        raise Invalid(f"Missing required column(s) {', '.join(missing)}; use {expected}")
    return columns


def _readable(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    try:
        yield from reader
    except (csv.Error, UnicodeDecodeError) as exc:
        raise Invalid(f"The file cannot be read as UTF-8 CSV: {exc}") from None


def _rows(reader: _Reader, columns: list[str], report: CsvReport) -> Iterator[Row]:
    """(line, values) per data row; a row with the wrong number of fields is an error."""
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            detail = f"The file cannot be read from this line on ({exc}); later rows were skipped"
            report.errors.append(RowError(line, None, detail))
            return
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(columns):
            values = dict(zip(columns, fields, strict=False))
            detail = f"Expected {len(columns)} fields, found {len(fields)}"
            report.errors.append(RowError(line, values.get("username") or None, detail))
            continue
        yield line, dict(zip(columns, fields, strict=True))
