"""``make bench``: each tap against its emulator (a process of its own), beside the floor measured
in the same run.

A tap adds itself with a module ``bench/<tap_package>.py`` defining ``CASES: list[BenchCase]``
(case.py). run_case.py runs a case's taps and floor (measure.py) against emulator processes
(emulator_process.py), each tap or floor a child process measured by child_process.py; floor.py
is the floor's child process; parse_vs_lxml.py is the webcasts.com parse case; report.py and
table.py print the tables.
"""
