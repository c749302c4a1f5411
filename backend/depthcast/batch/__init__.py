"""Depth for many videos: batch jobs on Ray, catalogued in LanceDB (docs/BATCH.md)."""
