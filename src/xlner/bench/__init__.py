"""Benchmarks that print a table and write JSON; thin scripts in ``benchmarks/`` call these."""
