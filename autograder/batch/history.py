"""What a re-grade changed, and why: each earlier result of a submission is kept, with what it was
graded from, in ``OUTDIR/<name>/history/<n>/``; the reports compare the newest with the current one.

The why comes from the two stamps (``store.stamp_of``): the student's files, the rubric (said part by
part: "rubric changed: relu 6 → 8 points"), the grader's code or secret, or none of them (a forced
re-grade); the what, from the two results: each part whose points moved, and the total.
"""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

HISTORY = "history"
KEPT = 50  # earlier results kept per submission; the oldest go first


def kept(folder: Path) -> list[Path]:
    """The kept entries of a submission's history, oldest first."""
    history = folder / HISTORY
    return sorted((p for p in history.glob("*") if p.name.isdigit()), key=lambda p: int(p.name)) \
        if history.is_dir() else []


def keep(folder: Path, result: str, stamp: str) -> None:
    """Before a new result replaces it: the current result and its stamp into ``history/<n>/``."""
    if not (folder / result).is_file():
        return
    entries = kept(folder)
    entry = folder / HISTORY / f"{int(entries[-1].name) + 1 if entries else 1:04d}"
    entry.mkdir(parents=True)
    for name in (result, stamp):
        if (folder / name).is_file():
            shutil.copy2(folder / name, entry / name)
    (entry / "kept.json").write_text(json.dumps({"kept_at": datetime.datetime.now(datetime.UTC).isoformat(
        timespec="seconds")}) + "\n")
    for old in entries[:max(0, len(entries) + 1 - KEPT)]:
        shutil.rmtree(old, ignore_errors=True)


def changes(folder: Path, current: dict, result: str, stamp: str) -> list[str]:
    """What changed since the newest kept result, and why: [] when nothing was kept or nothing moved."""
    entries = kept(folder)
    if not entries:
        return []
    try:
        before = json.loads((entries[-1] / result).read_text())
        then = json.loads((entries[-1] / stamp).read_text()) if (entries[-1] / stamp).is_file() else {}
        now = json.loads((folder / stamp).read_text()) if (folder / stamp).is_file() else {}
    except (OSError, ValueError):
        return []
    why = []
    if then.get("submission") != now.get("submission"):
        why.append("your files changed")
    if then.get("rubric") != now.get("rubric"):
        moved = [f"{p} {before['parts'][p]['max_score']:g} → {current['parts'][p]['max_score']:g} points"
                 for p in current["parts"] if p in before.get("parts", {})
                 and before["parts"][p]["max_score"] != current["parts"][p]["max_score"]]
        added = [p for p in current["parts"] if p not in before.get("parts", {})]
        dropped = [p for p in before.get("parts", {}) if p not in current["parts"]]
        said = moved + [f"{p} added" for p in added] + [f"{p} dropped" for p in dropped]
        why.append("rubric changed" + (f": {', '.join(said)}" if said else ""))
    if then.get("grader") != now.get("grader"):
        why.append("the grader changed")
    what = [f"{p} {before['parts'][p]['score']:g} → {current['parts'][p]['score']:g}" for p in current["parts"]
            if p in before.get("parts", {}) and before["parts"][p]["score"] != current["parts"][p]["score"]]
    if before.get("score") != current.get("score"):
        what.append(f"total {before.get('score', 0):g} → {current.get('score', 0):g}")
    if not what and not why:
        return []
    return [f"graded again ({'; '.join(why) or 'on request'}): " + (", ".join(what) if what else "no score moved")]
