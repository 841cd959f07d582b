"""Part `layer` (checks being written)."""

PART = "layer"


def test_placeholder():
    """Not yet written."""
