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
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another grader made it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(os.urandom(32).hex())
    return path.read_text().strip().encode()


def seed_for(secret: bytes, digest: str) -> str:
    """The seed of one submission's inputs: the same content always gets the same inputs."""
    return hmac.new(secret, digest.encode(), hashlib.sha256).hexdigest()
