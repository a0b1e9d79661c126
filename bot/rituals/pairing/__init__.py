"""Pair matching that bridges backgrounds, never repeats a pair while it can, and scales."""
