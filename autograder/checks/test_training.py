"""Part `training` (checks being written)."""

PART = "training"


def test_placeholder():
    """Not yet written."""
