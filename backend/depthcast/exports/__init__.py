"""File exports of a session's depth: npz, png16, ply, depth and stereo videos."""
