"""The hidden checks: one pytest module per rubric part (see ../rubric.toml)."""
