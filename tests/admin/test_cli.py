"""The `vtiger-mock` command: --help everywhere, serve's settings, seed / dump / reset / health."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.admin.conftest import make_app
from vtiger_mock import cli
from vtiger_mock.app import build_crm
from vtiger_mock.pytest_plugin import ServerThread
from vtiger_mock.settings import Settings


@pytest.mark.parametrize("command", [[], ["serve"], ["seed"], ["dump"], ["reset"], ["health"]])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main([*command, "--help"])
    assert stop.value.code == 0
    assert "usage: vtiger-mock" in capsys.readouterr().out


def test_serve_builds_the_app_from_flags_and_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        started.update(app=app, **kwargs)

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setenv("VTIGER_MOCK_SEED", "9")
    monkeypatch.setenv("VTIGER_MOCK_PORT", "8123")
    args = [
        "serve",
        "--seed-data",
        "demo",
        "--admin-token",
        "tok",
        "--log-requests",
        "--freeze-at",
        "1700000000",
    ]
    assert cli.main(args) == 0
    settings: Settings = started["app"].state.settings
    assert (settings.seed, settings.port, started["port"], started["host"]) == (9, 8123, 8123, "127.0.0.1")
    assert settings.admin_token == "tok" and settings.log_requests and settings.admin_enabled
    assert started["app"].state.crm.clock.now() == 1_700_000_000
    out = capsys.readouterr().out
    assert "records: 676" in out and "Bearer" in out

    assert cli.main(["serve", "--no-admin"]) == 0
    assert started["app"].state.settings.admin_enabled is False
    assert "admin API: off" in capsys.readouterr().out


def test_bad_environment_values_are_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VTIGER_MOCK_PORT", "eighty")
    assert cli.main(["serve"]) == 2
    assert "VTIGER_MOCK_PORT must be an integer" in capsys.readouterr().err


def test_a_database_it_cannot_open_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A file where the database's folder should be: SQLite cannot create the database there
    # (what a read-only volume does to a container).
    (tmp_path / "not-a-folder").write_text("")
    url = f"sqlite:///{tmp_path / 'not-a-folder' / 'crm.db'}"
    assert cli.main(["seed", "--demo", "--database", url]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "vtiger-mock: cannot use the database: unable to open database file"
    )


def test_settings_from_the_environment() -> None:
    env = {
        "VTIGER_MOCK_NO_ADMIN": "true",
        "VTIGER_MOCK_ADMIN_TOKEN": "",
        "VTIGER_MOCK_JOURNAL_SIZE": "5",
        "VTIGER_MOCK_SEED_DATA": "demo",
        "VTIGER_MOCK_LOG_REQUESTS": "1",
    }
    settings = Settings.from_env(env)
    assert settings.admin_enabled is False and settings.admin_token is None
    assert (settings.journal_size, settings.seed_data, settings.log_requests) == (5, "demo", True)
    assert Settings.from_env(env, journal_size=7).journal_size == 7
    with pytest.raises(ValueError, match="VTIGER_MOCK_NO_ADMIN"):
        Settings.from_env({"VTIGER_MOCK_NO_ADMIN": "maybe"})


def test_seed_dump_and_reset_a_database_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert cli.main(["seed", "--demo", "--database", url]) == 0
    assert json.loads(capsys.readouterr().out)["loaded"]["Accounts"] == 50
    assert cli.main(["seed", "--scale", "3", "--modules", "Leads,HelpDesk", "--database", url]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["loaded"] == {"Leads": 3, "HelpDesk": 3}
    assert "seeding: 6 records in" in err  # the progress bar's closing line (no terminal: no bar)

    out_file = tmp_path / "dump.json"
    assert cli.main(["dump", "--database", url, "--modules", "Leads", "-o", str(out_file)]) == 0
    assert len(json.loads(out_file.read_text(encoding="utf-8"))["Leads"]) == 63

    assert cli.main(["reset", "--database", url]) == 0
    assert json.loads(capsys.readouterr().out)["total_records"] == 0
    assert cli.main(["reset", "--database", url, "--seed-data", str(out_file)]) == 0
    assert json.loads(capsys.readouterr().out)["total_records"] == 63


def test_seed_scale_to_a_file_for_seed_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.json"
    assert cli.main(["seed", "--scale", "5", "--modules", "Accounts,Contacts,Quotes", "-o", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"written": str(path), "total": 15}
    crm = build_crm(Settings(seed_data=str(path)))
    assert crm.record_counts() == {"Accounts": 5, "Contacts": 5, "Quotes": 5}


def test_seed_reset_dump_and_health_of_a_running_server(capsys: pytest.CaptureFixture[str]) -> None:
    server = ServerThread(make_app(admin_token="t0k"))
    url = server.start()
    try:
        remote = ["--url", url, "--admin-token", "t0k"]
        assert cli.main(["health", *remote]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "ok"
        assert cli.main(["seed", "--scale", "2", "--modules", "Accounts", *remote]) == 0
        assert json.loads(capsys.readouterr().out)["total"] == 2
        assert cli.main(["dump", "--modules", "Accounts", *remote]) == 0
        assert len(json.loads(capsys.readouterr().out)["Accounts"]) == 2
        assert cli.main(["reset", *remote]) == 0
        assert json.loads(capsys.readouterr().out)["reset"] is True
        assert cli.main(["reset", "--url", url]) == 2  # no token
        assert "401 unauthorized" in capsys.readouterr().err
    finally:
        server.stop()
    assert cli.main(["health", "--url", url]) == 2
    assert "not healthy" in capsys.readouterr().err


def test_progress_bar_draws_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = cli.Progress(200, "seeding", stream=stream, enabled=True)
    progress.update(200)
    progress.close()
    text = stream.getvalue()
    assert "\rseeding [##############################] 100% 200/200" in text
    assert "\nseeding: 200 records in" in text
