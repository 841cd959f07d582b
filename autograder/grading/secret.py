"""The grader's secret: it seeds every submission's hidden inputs (HMAC of its content).

``$MICROGRAD_GRADER_SECRET``, else a per-user file made once, readable by its
owner only.  Never passed to student code (docs/threat-model.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path


def grader_secret() -> bytes:
    from_env = os.environ.get("MICROGRAD_GRADER_SECRET")
    if from_env:
        return from_env.encode()
    path = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "micrograd-kit" / "grader-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: a grader starting at the same
        # moment either finds no file or the complete one, never an empty secret.
        draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex())
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:  # another grader made it first: theirs is the secret
            pass
        finally:
            draft.unlink()
    return path.read_text().strip().encode()


def seed_for(secret: bytes, digest: str) -> str:
    """The seed of one submission's inputs: the same content always gets the same inputs."""
    return hmac.new(secret, digest.encode(), hashlib.sha256).hexdigest()
