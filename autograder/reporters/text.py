"""For a student at a terminal: each part's score, then the first failed check
of each part with its diagnosis.  Colour when rich sees a terminal."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table


def render(result: dict, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=100, highlight=False)
    table = Table(title=f"micrograd: {result['score']:g} / {result['max_score']:g}", title_justify="left")
    table.add_column("part")
    table.add_column("score", justify="right")
    table.add_column("", justify="left")
    for part_id, part in result["parts"].items():
        full = part["score"] >= part["max_score"]
        mark = "[green]ok[/green]" if full else ("[yellow]partial[/yellow]" if part["score"] > 0 else "[red]no credit[/red]")
        table.add_row(part_id, f"{part['score']:g} / {part['max_score']:g}", mark)
    console.print(table)
    for problem in result.get("problems", {}).values():
        console.print(f"[red]![/red] {problem}")
    shown = set()
    for test in result["tests"]:
        if test["status"] == "passed" or test["part"] in shown:
            continue
        shown.add(test["part"])
        failed = sum(1 for t in result["tests"] if t["part"] == test["part"] and t["status"] != "passed")
        console.print(f"\n[bold]{test['part']}[/bold]: {failed} check(s) failed; the first one ({test['name']}):")
        console.print(_indent(test["message"]), markup=False)
    if result.get("isolation"):
        console.print(f"\n[dim]isolation: {result['isolation']}[/dim]")
    return buffer.getvalue()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
