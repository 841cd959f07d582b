"""Part `truediv` (checks being written)."""

PART = "truediv"


def test_placeholder():
    """Not yet written."""
