"""Part `loss` (checks being written)."""

PART = "loss"


def test_placeholder():
    """Not yet written."""
