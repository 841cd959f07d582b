"""Part `neuron` (checks being written)."""

PART = "neuron"


def test_placeholder():
    """Not yet written."""
