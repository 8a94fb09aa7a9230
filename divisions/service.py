"""The divisions context's one door: division-change applications (区划调整申请) — drafting, the standards check,
the workflow and applying them. It stands above boundaries and gazetteer (applying writes units, polygons and
lines, and place-name events). Outside this context, import only this module (tests/app/test_doors.py enforces it)."""

from __future__ import annotations

from divisions.applications import (
    approve,
    create_application,
    get_application,
    list_applications,
    revert,
    submit,
    withdraw,
)
from divisions.apply import apply_application
from divisions.check import check_application
from divisions.rules import CRITERIA

__all__ = [
    "CRITERIA",
    "apply_application",
    "approve",
    "check_application",
    "create_application",
    "get_application",
    "list_applications",
    "revert",
    "submit",
    "withdraw",
]
