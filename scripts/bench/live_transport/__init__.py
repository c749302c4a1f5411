"""Pieces of `bench_live_transport`: how browser camera frames could reach the server."""
