"""Benchmarks: `make bench` prints the figures and writes JSON to bench/results/."""
