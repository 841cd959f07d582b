"""Part `mlp` (checks being written)."""

PART = "mlp"


def test_placeholder():
    """Not yet written."""
