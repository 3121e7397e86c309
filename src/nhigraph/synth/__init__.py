"""Synthetic estates of any size, written as real export files, for benchmarks and scale tests."""
