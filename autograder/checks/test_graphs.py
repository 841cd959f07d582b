"""Part `graphs` (checks being written)."""

PART = "graphs"


def test_placeholder():
    """Not yet written."""
