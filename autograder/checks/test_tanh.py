"""Part `tanh` (checks being written)."""

PART = "tanh"


def test_placeholder():
    """Not yet written."""
