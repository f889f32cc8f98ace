"""Cost data locations: local paths, globs and directories; s3:// against moto's server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finopsmetrics_cli.costs.locations import SourceObject, list_objects
from finopsmetrics_cli.errors import CostDataError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_local_file_is_itself_with_a_size_and_mtime_fingerprint(tmp_path: Path) -> None:
    path = _write(tmp_path / "focus.csv", "BilledCost\n1\n")
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    [obj] = list_objects(str(path))
    assert obj == SourceObject(str(path), "13:1700000000000000000", 13)
    assert obj.fetch(tmp_path / "dest") == path
    assert not (tmp_path / "dest").exists()


def test_a_directory_lists_every_file_below_it_sorted_without_dotfiles(tmp_path: Path) -> None:
    for name in ("b/2024-02.csv", "a.parquet", "b/2024-01.csv.gz", ".DS_Store", "b/.swap/x"):
        _write(tmp_path / "bills" / name, "x")
    uris = [obj.uri for obj in list_objects(str(tmp_path / "bills"))]
    assert uris == [
        str(tmp_path / "bills" / "a.parquet"),
        str(tmp_path / "bills" / "b" / "2024-01.csv.gz"),
        str(tmp_path / "bills" / "b" / "2024-02.csv"),
    ]


def test_a_glob_lists_matching_files_and_relative_paths_use_the_base(tmp_path: Path) -> None:
    for name in ("2024/01/cur.csv", "2024/02/cur.csv", "2024/02/notes.txt", "2023/12/cur.csv"):
        _write(tmp_path / "cur" / name, "x")
    uris = [obj.uri for obj in list_objects("cur/2024/**/*.csv", base=tmp_path)]
    assert uris == [
        str(tmp_path / "cur" / "2024" / "01" / "cur.csv"),
        str(tmp_path / "cur" / "2024" / "02" / "cur.csv"),
    ]
    assert list_objects("cur/*.parquet", base=tmp_path) == []


def test_a_missing_path_or_glob_directory_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CostDataError) as caught:
        list_objects("bills/focus.csv", base=tmp_path)
    assert caught.value.message == "cost data location 'bills/focus.csv' does not exist"
    assert caught.value.hint == (
        f"looked for {tmp_path / 'bills' / 'focus.csv'}; "
        "a relative path is read from the config file's directory"
    )
    with pytest.raises(CostDataError) as caught:
        list_objects(str(tmp_path / "nowhere" / "*.csv"))
    assert caught.value.message == (
        f"cost data location {str(tmp_path / 'nowhere' / '*.csv')!r} does not exist"
    )
    assert caught.value.hint == f"the directory {tmp_path / 'nowhere'} is missing"


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(CostDataError) as caught:
        list_objects("gs://bucket/billing/")
    assert caught.value.message == (
        "unsupported cost data location 'gs://bucket/billing/' (scheme gs://)"
    )
