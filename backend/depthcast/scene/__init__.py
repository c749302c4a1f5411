"""A scene from a video: camera path and fused point cloud, chunk by chunk (docs/SCENE.md)."""
