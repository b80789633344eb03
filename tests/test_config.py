"""The run configuration: xlcsr.toml, then XLCSR_SMTP_* variables; paths from the file's folder; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlcsr.app.config import Config, load_config
from xlcsr.domain.errors import BadConfig

FULL = """
registers = ["清单A.xlsx", "sub/清单B.xlsx", "/abs/清单C.xlsx"]
time = "03:30"
templates = "mail"
[smtp]
host = "smtp.example.com"
port = 587
user = "robot"
password_env = "CSR_PASS"
from = "顾客特殊要求 <csr@example.com>"
starttls = true
"""


def write(folder: Path, text: str, name: str = "xlcsr.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_file_the_defaults_apply_beside_the_working_directory(tmp_path: Path) -> None:
    config = load_config(env={}, cwd=tmp_path)
    assert config == Config.defaults(tmp_path)
    assert (config.registers, config.time, config.smtp, config.templates) == ([], "02:00", None, None)
    assert (config.outbox, config.state_dir, config.run_log) == (
        tmp_path / "outbox", tmp_path / ".xlcsr-state", tmp_path / "xlcsr-run.log")
    assert not config.uses_smtp


def test_xlcsr_toml_in_the_working_directory_is_read(tmp_path: Path) -> None:
    write(tmp_path, 'registers = ["a.xlsx"]\n')
    config = load_config(env={}, cwd=tmp_path)
    assert config.registers == [tmp_path / "a.xlsx"] and config.source == tmp_path / "xlcsr.toml"


def test_a_named_file_that_does_not_exist_cannot_run(tmp_path: Path) -> None:
    with pytest.raises(BadConfig, match="找不到配置文件.*nope.toml"):
        load_config(Path("nope.toml"), env={}, cwd=tmp_path)


def test_relative_paths_resolve_from_the_config_folder_not_the_working_directory(tmp_path: Path) -> None:
    path = write(tmp_path / "etc", 'outbox = "mails"\nstate_dir = "/var/xlcsr"\nrun_log = "log/run.log"\n' + FULL)
    config = load_config(Path("etc/xlcsr.toml"), env={"CSR_PASS": "s3cret"}, cwd=tmp_path)
    folder = tmp_path / "etc"
    assert config.registers == [folder / "清单A.xlsx", folder / "sub/清单B.xlsx", Path("/abs/清单C.xlsx")]
    assert (config.time, config.templates, config.outbox) == ("03:30", folder / "mail", folder / "mails")
    assert (config.state_dir, config.run_log, config.config_dir) == (Path("/var/xlcsr"), folder / "log/run.log", folder)
    assert config.source == path
    smtp = config.smtp
    assert smtp is not None and config.uses_smtp
    assert (smtp.host, smtp.port, smtp.user, smtp.starttls, smtp.ssl) == ("smtp.example.com", 587, "robot", True, False)
    assert config.sender == "顾客特殊要求 <csr@example.com>"
    assert smtp.secret() == "s3cret"  # from the variable named by password_env


def test_environment_wins_over_the_file_and_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    write(tmp_path, FULL)
    env = {"XLCSR_SMTP_HOST": "mail.internal", "XLCSR_SMTP_PORT": "2525", "XLCSR_SMTP_USER": "",
           "XLCSR_SMTP_FROM": "  ", "XLCSR_SMTP_STARTTLS": "no", "XLCSR_SMTP_SSL": "YES"}
    smtp = load_config(env=env, cwd=tmp_path).smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.user, smtp.from_addr) == ("mail.internal", 2525, "robot",
                                                                 "顾客特殊要求 <csr@example.com>")
    assert (smtp.starttls, smtp.ssl) == (False, True)


@pytest.mark.parametrize("value, expected", [("true", True), ("1", True), ("Yes", True), ("false", False),
                                             ("0", False), ("no", False)])
def test_boolean_variables(tmp_path: Path, value: str, expected: bool) -> None:
    env = {"XLCSR_SMTP_HOST": "h", "XLCSR_SMTP_FROM": "a@b.c", "XLCSR_SMTP_STARTTLS": value}
    smtp = load_config(env=env, cwd=tmp_path).smtp
    assert smtp is not None and smtp.starttls is expected


def test_smtp_from_the_environment_alone(tmp_path: Path) -> None:
    config = load_config(env={"XLCSR_SMTP_HOST": "h", "XLCSR_SMTP_FROM": "csr@example.com"}, cwd=tmp_path)
    assert config.uses_smtp and config.smtp is not None and config.smtp.port == 25


def test_the_password_comes_only_from_the_environment(tmp_path: Path) -> None:
    write(tmp_path, FULL)
    both = {"XLCSR_SMTP_PASSWORD": "from-xlcsr", "CSR_PASS": "from-named"}
    config = load_config(env=both, cwd=tmp_path)
    assert config.smtp is not None and config.smtp.secret() == "from-xlcsr"
    assert "from-xlcsr" not in repr(config) and "from-xlcsr" not in config.model_dump_json()
    config = load_config(env={}, cwd=tmp_path)
    assert config.smtp is not None and config.smtp.secret() is None
    write(tmp_path, FULL + 'password = "plain"\n')
    with pytest.raises(BadConfig, match="不能写密码"):
        load_config(env={}, cwd=tmp_path)


@pytest.mark.parametrize("text, env, key", [
    ('colour = "red"\n', {}, "colour"),
    ('[smtp]\nhost = "h"\nfrom = "a@b.c"\nbogus = 1\n', {}, "[smtp] bogus"),
    ('[smtp]\nhost = "h"\nfrom = "a@b.c"\nport = "abc"\n', {}, "[smtp] port"),
    ('[smtp]\nhost = "h"\nfrom = "a@b.c"\nport = 70000\n', {}, "[smtp] port"),
    ('[smtp]\nhost = "h"\nfrom = "a@b.c"\n', {"XLCSR_SMTP_PORT": "twenty-five"}, "XLCSR_SMTP_PORT"),
    ('[smtp]\nhost = "h"\nfrom = "a@b.c"\nstarttls = "maybe"\n', {}, "[smtp] starttls"),
    ('[smtp]\nhost = "h"\nfrom = "a@b.c"\n', {"XLCSR_SMTP_SSL": "perhaps"}, "XLCSR_SMTP_SSL"),
    ('[smtp]\nhost = "h"\nfrom = "a@b.c"\nstarttls = true\nssl = true\n', {}, "starttls"),
    ('[smtp]\nhost = "h"\nfrom = "a@b.c"\nstarttls = true\n', {"XLCSR_SMTP_SSL": "1"}, "ssl"),
    ('[smtp]\nhost = "h"\n', {}, "from"),
    ('[smtp]\nhost = "h"\nfrom = "nobody"\n', {}, "[smtp] from"),
    ('time = "25:00"\n', {}, "time"),
    ('time = "2am"\n', {}, "time"),
    ('registers = "one.xlsx"\n', {}, "registers"),
    ('registers = [1]\n', {}, "registers"),
    ('smtp = "x"\n', {}, "smtp"),
    ('registers = [\n', {}, "TOML"),
])
def test_bad_values_name_the_file_and_the_key_in_chinese_first(tmp_path: Path, text: str, env: dict[str, str],
                                                               key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BadConfig) as caught:
        load_config(path, env=env, cwd=tmp_path)
    message = str(caught.value)
    assert "\u4e00" <= message[0] <= "\u9fff", message  # Chinese first
    assert key in message
    if not key.startswith("XLCSR_"):
        assert str(path) in message


def test_a_top_level_key_written_under_smtp_gets_a_hint(tmp_path: Path) -> None:
    with pytest.raises(BadConfig, match=r"\[smtp\] outbox.*\[smtp\] 之前"):
        load_config(write(tmp_path, FULL + 'outbox = "mails"\n'), env={}, cwd=tmp_path)


def test_time_is_normalised(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, 'time = "2:05"\n'), env={}, cwd=tmp_path).time == "02:05"
