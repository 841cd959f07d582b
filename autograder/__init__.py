"""The hidden autograder: grades a micrograd submission part by part."""
