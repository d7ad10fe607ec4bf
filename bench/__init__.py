"""`python -m bench`: timings and peak memory at realistic and national scale. Reports only; never asserts."""
