"""The prefetch: what a forked child parses and reads gives exactly the config, plan and
drift an in-process read gives, and anything it cannot do falls back to that read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from finopsmetrics_cli import prefetch
from finopsmetrics_cli.config.model import Config, DesiredObject, ObjectLifecycle, Settings
from finopsmetrics_cli.engine import Engine
from finopsmetrics_cli.errors import StateError
from finopsmetrics_cli.plan.model import PlanOptions
from finopsmetrics_cli.plan.render import plan_json
from finopsmetrics_cli.state.reader import StateStoreReader
from finopsmetrics_cli.state.snapshot import SnapshotReader

CHANNEL = {"type": "slack", "webhook_url": "${env:SLACK_WEBHOOK}"}


def obj(address: str, spec: dict[str, object], refs: tuple[str, ...] = ()) -> DesiredObject:
    kind, name = address.split(".", 1)
    return DesiredObject(kind, name, spec, ObjectLifecycle(), None, refs)


def cfg(*objects: DesiredObject) -> Config:
    return Config({o.address: o for o in objects}, Settings(), (), "digest")


def _budget(amount: int) -> dict[str, object]:
    return {"amount": amount, "alerts": [{"threshold": 0.8, "channels": ["ops"]}]}


CONFIG = cfg(
    obj("notification_channel.ops", CHANNEL),
    *(obj(f"budget.b{i}", _budget(100 + i), ("notification_channel.ops",)) for i in range(6)),
)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state with every kind of history a plan asks about: an object edited outside
    of code, one taken by Terraform, one deleted outside of code, one unmanaged."""
    path = tmp_path / "state.duckdb"
    engine = Engine(path, actor="tester")
    engine.apply(engine.plan(CONFIG))
    engine.edit_live("budget.b1", _budget(999))
    engine.update("budget", "b2", _budget(102), manager="terraform", adopt=True)
    engine.delete("budget", "b3", manager="config")
    engine.create("budget", "console", _budget(5), manager=None)
    return path


def _snapshot(path: Path) -> SnapshotReader:
    """What the child sends, read in this process (``_read`` is what the child runs)."""
    return SnapshotReader(path, prefetch._read(path))


def test_snapshot_reads_like_the_reader(state: Path) -> None:
    snap = _snapshot(state)
    with StateStoreReader(state) as reader:
        assert snap.info() == reader.info()
        assert snap.list() == reader.list()
        assert snap.list(kind="budget", manager="config") == reader.list(
            kind="budget", manager="config"
        )
        known = {a: o.spec for a, o in CONFIG.objects.items()}
        assert snap.list(known=known) == reader.list(known=known)
        asked = ["budget.b1", "budget.b2", "budget.b3", "budget.never"]
        assert snap.last_changes(asked) == reader.last_changes(asked)
        for address in [*asked, "budget.b0", "budget.console"]:
            assert snap.last_change(address) == reader.last_change(address)
        assert snap.get("budget.b4") == reader.get("budget.b4")
        assert snap.history("budget.b1") == reader.history("budget.b1")
    snap.close()


def test_plan_and_drift_from_a_snapshot_equal_the_in_process_ones(state: Path) -> None:
    engine = Engine(state, actor="tester")
    desired = cfg(*CONFIG.objects.values(), obj("budget.new", _budget(7)))
    adopt = PlanOptions(adopt=True)  # budget.b2 is Terraform's now
    direct_plan, direct_drift = engine.plan(desired, adopt), engine.drift(desired)

    engine._prefetch = _FakePrefetch(_snapshot(state))
    snap_plan = engine.plan(desired, adopt)
    engine._prefetch = _FakePrefetch(_snapshot(state))
    snap_drift = engine.drift(desired)
    assert plan_json(snap_plan) == plan_json(direct_plan)
    assert snap_drift == direct_drift
    assert [o.address for o in snap_plan.outside_changes] == ["budget.b1", "budget.b2"]


class _FakePrefetch:
    def __init__(self, snapshot: SnapshotReader) -> None:
        self.snapshot = snapshot

    def reader(self) -> SnapshotReader:
        return self.snapshot

    def cancel(self) -> None:
        pass


def test_no_prefetch_where_a_fork_is_unsafe_or_useless(tmp_path: Path, state: Path) -> None:
    assert "duckdb" in sys.modules  # this test process has DuckDB (and its threads) loaded
    assert prefetch.start(state) is None
    assert prefetch.start(tmp_path / "missing.duckdb") is None


_CHILD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from finopsmetrics_cli.config import loader
    from finopsmetrics_cli.engine import Engine
    from finopsmetrics_cli.errors import FinopsError, ValidationFailed
    from finopsmetrics_cli.plan.render import plan_json

    parsed_here = []
    read_source = loader.read_source

    def counting(path, display, **kw):  # only files the child did not parse get here
        parsed_here.append(display)
        return read_source(path, display, **kw)

    engine = Engine(Path(sys.argv[1]), actor="tester")
    paths = [Path(p) for p in sys.argv[2:]]
    used = False
    try:
        with engine.prefetching(paths):
            used = engine._prefetch is not None
            loader.read_source = counting
            config = engine.load_config(paths)
            plan = engine.plan(config)
    except ValidationFailed as exc:
        print(json.dumps({"diagnostics": [str(d.location) + " " + d.code for d in exc.diagnostics],
                          "used": used, "parsed_here": parsed_here}))
        raise SystemExit(0)
    except FinopsError as exc:
        print(json.dumps({"error": str(exc), "used": used}))
        raise SystemExit(0)
    print(json.dumps({"plan": json.loads(plan_json(plan)), "used": used,
                      "parsed_here": parsed_here, "duckdb_loaded": "duckdb" in sys.modules}))
    """
)

_YAML = """\
version: 1
notification_channels:
  - name: ops
    type: slack
    webhook_url: ${env:SLACK_WEBHOOK}
budgets:
  - name: ml
    amount: 100
    alerts:
      - threshold: 80%
        channels: [ops]
"""


def _run_child(state: Path, *config: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD_SCRIPT, str(state), *map(str, config)],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )
    assert out.stderr == ""
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_a_real_forked_prefetch_gives_the_plan_and_keeps_duckdb_out(tmp_path: Path) -> None:
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text(_YAML)
    state = tmp_path / "state.duckdb"
    engine = Engine(state, actor="tester")
    engine.apply(engine.plan(engine.load_config([config])))
    config.write_text(_YAML.replace("amount: 100", "amount: 150"))
    expected = json.loads(plan_json(engine.plan(engine.load_config([config]))))

    result = _run_child(state, config)
    assert result["used"] is True
    assert result["parsed_here"] == []  # the child parsed the file
    assert result["duckdb_loaded"] is False  # the parent never opened the state itself
    assert result["plan"] == expected


def test_files_the_child_could_not_parse_are_read_and_reported_here(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "a.yaml").write_text(_YAML)
    (config_dir / "b.yaml").write_text("budgets:\n  - name: x\n    amount: [1\n")
    (config_dir / "c.yaml").write_text("version: 1\nteams:\n  - name: !!str t1\n")  # a tag: ruamel
    result = _run_child(tmp_path / "state.duckdb", config_dir)
    assert result["used"] is True
    assert sorted(result["parsed_here"]) == [str(config_dir / "b.yaml"), str(config_dir / "c.yaml")]
    assert result["diagnostics"] == [f"{config_dir / 'b.yaml'}:4:1 E010"]


def test_an_invalid_object_is_reported_at_its_line_from_prefetched_files(tmp_path: Path) -> None:
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text(_YAML.replace("amount: 100", "amount: lots"))
    result = _run_child(tmp_path / "state.duckdb", config)
    assert result["used"] is True and result["parsed_here"] == []
    assert result["diagnostics"] == [f"{config}:8:13 E228"]


def test_a_damaged_state_is_reported_by_the_usual_read(tmp_path: Path) -> None:
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text(_YAML)
    state = tmp_path / "state.duckdb"
    state.write_bytes(b"not a database" * 100)
    result = _run_child(state, config)
    assert result["used"] is True
    with pytest.raises(StateError) as direct:
        Engine(state).plan(None)
    assert result["error"] == str(direct.value)
    assert state.read_bytes() == b"not a database" * 100


_CLI_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from finopsmetrics_cli.cli.main import run
    from finopsmetrics_cli.config import loader

    parsed_here = []
    read_source = loader.read_source

    def counting(path, display, **kw):
        parsed_here.append(display)
        return read_source(path, display, **kw)

    loader.read_source = counting
    out, sys.argv = sys.argv[1], ["finopsmetrics", *sys.argv[2:]]
    try:
        run()
    finally:
        with open(out, "w") as f:
            json.dump({"parsed_here": parsed_here, "duckdb_loaded": "duckdb" in sys.modules,
                       "rich_loaded": "rich" in sys.modules}, f)
    """
)


@pytest.mark.parametrize("command", ["plan", "drift", "validate"])
def test_the_cli_reads_files_and_state_ahead(tmp_path: Path, command: str) -> None:
    """As a user runs it: the CLI process itself neither parses the file nor opens DuckDB."""
    config = tmp_path / "finopsmetrics.yaml"
    config.write_text(_YAML)
    state = tmp_path / "state.duckdb"
    engine = Engine(state, actor="tester")
    engine.apply(engine.plan(engine.load_config([config])))
    report = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", _CLI_SCRIPT, str(report), command, str(config), "-q",
         *(["--state", str(state)] if command != "validate" else [])],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("No changes.\n" if command == "plan" else "")
    assert json.loads(report.read_text()) == {
        "parsed_here": [],
        "duckdb_loaded": False,
        "rich_loaded": False,  # plain -q output needs no rich (~50 ms)
    }
