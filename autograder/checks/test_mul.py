"""Part `mul` (checks being written)."""

PART = "mul"


def test_placeholder():
    """Not yet written."""
