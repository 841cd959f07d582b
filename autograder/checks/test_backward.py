"""Part `backward` (checks being written)."""

PART = "backward"


def test_placeholder():
    """Not yet written."""
