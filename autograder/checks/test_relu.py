"""Part `relu` (checks being written)."""

PART = "relu"


def test_placeholder():
    """Not yet written."""
