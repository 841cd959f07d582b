"""Print a gradebook CSV (from ``grade-batch``) as a table: one row per part, one column per submission."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from micrograd_feedback.untrusted import csv_value, shown


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "build/demo/grades/gradebook.csv")
    rows = list(csv.DictReader(path.open()))
    fixed = ("submission", "last_name", "first_name", "email", "status", "total", "max_score")
    parts = [c for c in rows[0] if c not in fixed] if rows else []
    table = Table(title=f"grades ({path})", title_justify="left")
    table.add_column("part")
    for row in rows:
        table.add_column(escape(shown(csv_value(row["submission"]))), justify="right")
    for part in parts:
        table.add_row(part, *(_short(row[part]) for row in rows))
    table.add_row("total", *(_short(row["total"]) or row["status"] for row in rows), style="bold")
    Console(width=120).print(table)
    return 0


def _short(value: str) -> str:
    try:
        return f"{float(value):g}"
    except ValueError:
        return value


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
