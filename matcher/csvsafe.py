"""CSV cells that a spreadsheet will not run: every CSV the engine writes goes through
:func:`safe_row`.

Excel, WPS and LibreOffice treat a cell starting with ``=``, ``+``, ``-`` or ``@`` (and, after a
tab or carriage return, the same) as a formula; a job title such as ``=HYPERLINK(...)`` would run
on the station's computer. Such a text cell is written with a leading apostrophe, which the
spreadsheet shows as text and does not display. Numbers are written as they are (``-5`` stays a
number)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    stripped = value.lstrip(" ")
    if stripped.startswith(FORMULA_START):
        try:
            float(value)
            return value  # a plain negative number
        except ValueError:
            return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
