"""Part `neg_sub` (checks being written)."""

PART = "neg_sub"


def test_placeholder():
    """Not yet written."""
