"""Part `exp` (checks being written)."""

PART = "exp"


def test_placeholder():
    """Not yet written."""
