"""Settings: defaults < TOML file < environment < command line, and `glpi-scim config show`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from glpi_scim.cli.main import cli
from glpi_scim.config import SPECS, ConfigError, Settings, load_settings, mask_url_password

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No stray ./glpi-scim.toml or GLPI_SCIM_* variable from the developer's shell.
    monkeypatch.chdir(tmp_path)
    for spec in SPECS:
        monkeypatch.delenv(spec.env_var, raising=False)
    monkeypatch.delenv("GLPI_SCIM_CONFIG", raising=False)


def write(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults_without_file_or_environment() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.port == 8080 and settings.sqlite_path == "glpi-scim.sqlite"
    assert set(settings.sources.values()) == set() and settings.config_path is None
    assert {source for _, _, source in settings.describe()} == {"default"}


def test_file_then_environment_then_command_line(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", 'port = 9000\nhost = "0.0.0.0"\nthreads = 2\n')
    env = {"GLPI_SCIM_PORT": "9100", "GLPI_SCIM_THREADS": "3"}
    settings = load_settings(config, environ=env, overrides={"port": 9200, "host": None})
    assert (settings.port, settings.threads, settings.host) == (9200, 3, "0.0.0.0")
    assert settings.sources["port"] == "cli"
    assert settings.sources["threads"] == "env"
    assert settings.sources["host"] == "file"
    assert "log_level" not in settings.sources
    assert settings.config_path == str(config)


def test_default_file_in_working_directory_and_config_variable(tmp_path: Path) -> None:
    write(tmp_path / "glpi-scim.toml", "port = 7001\n")
    assert load_settings(environ={}).port == 7001
    other = write(tmp_path / "other.toml", "port = 7002\n")
    assert load_settings(environ={"GLPI_SCIM_CONFIG": str(other)}).port == 7002


def test_section_dashed_keys_and_lists(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.toml",
        '[glpi-scim]\nurl-prefix = "/api/scim/"\ntrusted-proxies = ["10.0.0.0/8", " ::1 "]\n',
    )
    settings = load_settings(config, environ={})
    assert settings.url_prefix == "/api/scim"
    assert settings.trusted_proxies == ("10.0.0.0/8", "::1")
    from_env = load_settings(environ={"GLPI_SCIM_TRUSTED_PROXIES": "127.0.0.1, 10.1.0.0/16,"})
    assert from_env.trusted_proxies == ("127.0.0.1", "10.1.0.0/16")
    assert load_settings(environ={"GLPI_SCIM_URL_PREFIX": "/"}).url_prefix == ""


def test_glpi_config_directory_variable_is_glpis_own() -> None:
    settings = load_settings(environ={"GLPI_CONFIG_DIR": "/etc/glpi"})
    assert settings.glpi_config == "/etc/glpi"
    assert settings.sources["glpi_config"] == "env"


def test_empty_environment_variable_is_not_a_value() -> None:
    assert load_settings(environ={"GLPI_SCIM_PORT": ""}).port == 8080


@pytest.mark.parametrize(
    ("body", "env", "message"),
    [
        ("prot = 1\n", {}, "unknown setting 'prot' (known: database_url"),
        ("port = 'eighty'\n", {}, "port (file "),
        ("port = true\n", {}, "expected a whole number, got True"),
        ("", {"GLPI_SCIM_PORT": "80a"}, "port (environment GLPI_SCIM_PORT): expected a whole"),
        ("", {"GLPI_SCIM_THREADS": "-1"}, "threads (environment GLPI_SCIM_THREADS): must not be"),
        ("", {"GLPI_SCIM_PORT": "70000"}, "a TCP port is at most 65535, got 70000"),
        ("host = 5\n", {}, "host (file "),
        ("port = [\n", {}, "is not valid TOML"),
        ("glpi-scim = 3\n", {}, "[glpi-scim] must be a table of settings"),
    ],
)
def test_bad_values_name_the_setting_and_its_origin(
    tmp_path: Path, body: str, env: dict[str, str], message: str
) -> None:
    config = write(tmp_path / "c.toml", body)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ=env)
    assert message in str(caught.value)


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        load_settings(tmp_path, environ={})


def test_boolean_settings_accept_the_usual_spellings() -> None:
    from glpi_scim.config import SettingSpec, _convert

    spec = SettingSpec("flag", False, "a flag", kind=bool)
    assert [_convert(spec, raw, "test") for raw in ("yes", "On", "1", True)] == [True] * 4
    assert [_convert(spec, raw, "test") for raw in ("no", "OFF", "0", False)] == [False] * 4
    with pytest.raises(ConfigError, match="expected true or false, got 'maybe'"):
        _convert(spec, "maybe", "test")


def test_secrets_are_masked() -> None:
    settings = load_settings(
        environ={"GLPI_SCIM_DATABASE_URL": "mysql+pymysql://glpi:s3cr%40t@db:3306/glpi"}
    )
    shown = dict((name, value) for name, value, _ in settings.describe())
    assert shown["database_url"] == "mysql+pymysql://glpi:***@db:3306/glpi"
    assert "s3cr" not in json.dumps(settings.describe())
    assert mask_url_password("sqlite:///x.sqlite") == "sqlite:///x.sqlite"
    assert mask_url_password("mysql://u@h/d") == "mysql://u@h/d"
    assert mask_url_password("mysql://u:p@ss@h/d") == "mysql://u:***@h/d"


def test_config_show_prints_values_sources_and_masks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "glpi-scim.toml", "threads = 4\n")
    monkeypatch.setenv("GLPI_SCIM_PORT", "9001")
    result = CliRunner().invoke(
        cli,
        ["--database", "mysql+pymysql://glpi:hunter2@db/glpi", "config", "show"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert re.search(
        r"database_url\s*│\s*mysql\+pymysql://glpi:\*\*\*@db/glpi\s*│\s*cli", result.output
    )
    assert re.search(r"port\s*│\s*9001\s*│\s*env", result.output)
    assert re.search(r"threads\s*│\s*4\s*│\s*file", result.output)
    assert re.search(r"log_level\s*│\s*INFO\s*│\s*default", result.output)
    assert "Configuration file: glpi-scim.toml" in result.output


def test_config_show_json(tmp_path: Path) -> None:
    php = tmp_path / "config_db.php"
    write(
        php,
        "<?php\nclass DB extends DBmysql {\n public $dbhost = 'db.example:3307';\n"
        " public $dbuser = 'glpi';\n public $dbpassword = 'p%40ss';\n"
        " public $dbdefault = 'glpi';\n}\n",
    )
    result = CliRunner().invoke(cli, ["--glpi-config", str(tmp_path), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {row["name"]: row for row in data["settings"]}
    assert rows["glpi_config"] == {"name": "glpi_config", "value": str(tmp_path), "source": "cli"}
    assert data["database"]["url"].startswith("mysql+pymysql://glpi:***@db.example:3307/glpi")
    assert "GLPI's config_db.php" in data["database"]["from"]
    assert "p%40ss" not in result.output and "p@ss" not in result.output


def test_config_show_reports_a_bad_setting_as_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLPI_SCIM_PORT", "eighty")
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 3
    assert "port (environment GLPI_SCIM_PORT): expected a whole number" in result.output
    assert "Traceback" not in result.output


def readme_settings() -> dict[str, list[str]]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- settings:start")
    block = readme[start : readme.index("<!-- settings:end -->", start)]
    rows = {}
    for line in block.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_readme_documents_every_setting() -> None:
    rows = readme_settings()
    assert sorted(rows) == sorted(spec.name for spec in SPECS)
    for spec in SPECS:
        _, env, _flag, default, _meaning = rows[spec.name]
        assert env == f"`{spec.env_var}`", spec.name
        assert default == ("" if spec.default in (None, ()) else f"`{spec.default}`"), spec.name


def test_readme_flags_exist() -> None:
    import click

    def options(command: click.Command) -> set[str]:
        return {opt for param in command.params for opt in getattr(param, "opts", [])}

    for name, cells in readme_settings().items():
        flag = cells[2].strip("`")
        if not flag:
            continue
        *path, option = flag.split()
        command: click.Command = cli
        for part in path:
            assert isinstance(command, click.Group)
            found = command.get_command(click.Context(command), part)
            assert found is not None, f"{name}: no command {part!r}"
            command = found
        assert option in options(command), f"{name}: {flag} is not an option"


def test_readme_test_command_is_the_one_ci_runs() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = re.search(r'^TEST_COMMAND="(.+)"$', ci, re.MULTILINE)
    assert command is not None
    assert f"\n{command.group(1)}\n" in readme
