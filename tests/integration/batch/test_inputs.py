"""`batch/inputs.py`: paths, globs, folders and manifests into a list of sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from depthcast.batch.inputs import InputError, Source, collect_sources, read_manifest


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def _file(path: Path) -> Source:
    return Source(str(path), "file")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """videos/a.mp4, videos/b.MOV, videos/sub/c.mkv, videos/.hidden.mp4, videos/.cache/d.mp4."""
    for name in ("a.mp4", "b.MOV", "sub/c.mkv", ".hidden.mp4", ".cache/d.mp4"):
        _touch(tmp_path / "videos" / name)
    return tmp_path


def test_a_folder_is_walked_recursively_skipping_hidden_files_and_folders(tree: Path) -> None:
    videos = tree / "videos"
    assert collect_sources([videos]) == [
        _file(videos / "a.mp4"), _file(videos / "b.MOV"), _file(videos / "sub" / "c.mkv")]


def test_globs_expand_sorted_and_recursive_globs_reach_subfolders(tree: Path) -> None:
    videos = tree / "videos"
    assert collect_sources([str(videos / "*.mp4")]) == [_file(videos / "a.mp4")]
    assert collect_sources([str(videos / "**" / "*.mkv")]) == [_file(videos / "sub" / "c.mkv")]


def test_relative_inputs_are_relative_to_the_working_folder(tree: Path) -> None:
    assert collect_sources(["videos/a.mp4", "videos/sub"], cwd=tree) == [
        _file(tree / "videos" / "a.mp4"), _file(tree / "videos" / "sub" / "c.mkv")]


def test_a_txt_manifest_lists_paths_relative_to_itself_and_urls(tree: Path) -> None:
    lists = tree / "lists"
    lists.mkdir()
    manifest = lists / "videos.txt"
    manifest.write_text("# my clips\n\n../videos/a.mp4\n  https://example.org/v/1.mp4  \n"
                        f"{tree / 'videos' / 'b.MOV'}\n../videos/missing.mp4\n")
    assert collect_sources([manifest]) == [
        _file(tree / "videos" / "a.mp4"), Source("https://example.org/v/1.mp4", "url"),
        _file(tree / "videos" / "b.MOV"),
        _file(tree / "videos" / "missing.mp4"),  # fails later, with its reason, not here
    ]


def test_a_csv_manifest_reads_its_path_or_url_column(tree: Path) -> None:
    manifest = tree / "kinetics.csv"
    manifest.write_text("label,path,url\nwalking,videos/a.mp4,\nrunning,,http://h/2.mp4\n"
                        "jumping,videos/b.MOV,http://h/ignored.mp4\n")
    assert read_manifest(manifest) == [
        _file(tree / "videos" / "a.mp4"), Source("http://h/2.mp4", "url"),
        _file(tree / "videos" / "b.MOV")]


def test_a_csv_manifest_without_such_a_column_is_read_by_its_first(tree: Path) -> None:
    manifest = tree / "list.csv"
    manifest.write_text('video,label\nvideos/a.mp4,walking\n"videos/sub/c.mkv",running\n')
    assert read_manifest(manifest) == [_file(tree / "videos" / "a.mp4"),
                                       _file(tree / "videos" / "sub" / "c.mkv")]


def test_duplicates_are_dropped_keeping_the_first_place(tree: Path) -> None:
    videos = tree / "videos"
    manifest = tree / "again.txt"
    manifest.write_text("videos/b.MOV\nvideos/./a.mp4\nhttps://h/x.mp4\nhttps://h/x.mp4\n")
    assert collect_sources([videos / "b.MOV", manifest, videos]) == [
        _file(videos / "b.MOV"), _file(videos / "a.mp4"), Source("https://h/x.mp4", "url"),
        _file(videos / "sub" / "c.mkv")]


@pytest.mark.parametrize("given, says", [
    ("nothing-here.mp4", "no such file or folder"),
    ("videos/*.avi", "no file matches"),
    ("empty", "the folder holds no files"),
    ("blank.txt", "the manifest lists no paths or URLs"),
])
def test_an_input_that_names_nothing_is_a_usage_error(tree: Path, given: str, says: str) -> None:
    (tree / "empty").mkdir()
    _touch(tree / "empty" / ".DS_Store")
    (tree / "blank.txt").write_text("# nothing yet\n\n")
    with pytest.raises(InputError, match=says):
        collect_sources([given], cwd=tree)
