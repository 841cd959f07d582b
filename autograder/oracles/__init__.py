"""Trusted oracles: what the right answer is, computed without the student's code."""
