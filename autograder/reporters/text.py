"""For a student at a terminal: each part's score, then, per part that lost points, its first
failed check and every distinct diagnosis among its failures.  Colour when rich sees a terminal."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from micrograd_feedback.result import SubmissionResult, distinct_diagnoses


def render(result: SubmissionResult, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=100, highlight=False)
    table = Table(title=f"micrograd: {result.score:g} / {result.max_score:g}", title_justify="left")
    table.add_column("part")
    table.add_column("score", justify="right")
    table.add_column("", justify="left")
    for part in result.parts.values():
        full = part.score >= part.max_score
        partial = "[yellow]partial[/yellow]" if part.score > 0 else "[red]no credit[/red]"
        mark = "[green]ok[/green]" if full else partial
        table.add_row(part.id, f"{part.score:g} / {part.max_score:g}", mark)
    console.print(table)
    for problem in result.problems.values():
        console.print(f"[red]![/red] {problem}", markup=False)
    for part in result.parts.values():
        failed = result.failed(part.id)
        if not failed:
            continue
        first = failed[0]
        console.print(f"\n[bold]{escape(part.id)}[/bold]: {len(failed)} check(s) failed; the first:")
        console.print(_indent(first.message), markup=False)
        others = distinct_diagnoses(failed[1:], exclude=first.keys())
        for diagnosis in others:
            console.print(_indent(f"Also: {diagnosis.text()}"), markup=False)
    if result.isolation:
        console.print(f"\n[dim]isolation: {result.isolation}[/dim]")
    return buffer.getvalue()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
