"""``make bench``: each tap against its emulator, beside the floor measured in the same run.

A tap adds itself with a module ``bench/<tap_package>.py`` defining ``CASES: list[BenchCase]``.
"""
