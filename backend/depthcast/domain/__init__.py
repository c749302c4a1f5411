"""Domain types shared by every layer: a video and its frames, depth maps and their geometry,
the model, drop reasons and the errors a front-end maps to its own terms (HTTP, exit codes).

Nothing here does I/O or imports a layer above it.
"""
