"""Test support shared by tests, benchmarks and the screenshot script: clips, a server process."""
