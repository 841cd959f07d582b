"""Part `pow` (checks being written)."""

PART = "pow"


def test_placeholder():
    """Not yet written."""
