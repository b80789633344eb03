"""The run configuration: `xlcsr.toml` (or `--config FILE`), then `XLCSR_SMTP_*` environment variables.

    >>> config = load_config(Path("xlcsr.toml"), env={"XLCSR_SMTP_HOST": "smtp.example.com"})
    >>> config.registers, config.time, config.smtp.host
    ([PosixPath('/srv/csr/清单A.xlsx')], '02:00', 'smtp.example.com')

    # xlcsr.toml — relative paths are taken from this file's folder
    registers = ["清单A.xlsx", "../其他/清单B.xlsx"]
    time = "02:00"
    [smtp]
    host = "smtp.example.com"
    port = 587
    user = "csr-robot"
    password_env = "CSR_SMTP_PASSWORD"   # the password itself only ever comes from the environment
    from = "顾客特殊要求 <csr-robot@example.com>"
    starttls = true
    [backups]                 # the backups beside each register (.xlcsr-backup/), kept by time
    recent_days = 7           # every backup of the last 7 days
    daily_days = 90           # then the newest one of each day, up to 90 days; older ones go

Later sources win: the file, then `XLCSR_SMTP_HOST`, `_PORT`, `_USER`, `_PASSWORD`, `_FROM`,
`_STARTTLS`, `_SSL` (an empty variable counts as unset). Without an SMTP host, reminders are
written to the `outbox` folder as `.eml` files. Without `path` and without `xlcsr.toml` in the
working directory, the defaults apply (no registers). A register's own folder is read for [columns]
(`register_defaults`) and [backups] (`retention_for`) only.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from xlcsr.disk.atomic import Retention
from xlcsr.domain.errors import BadConfig
from xlcsr.domain.fields import FIELD_BY_KEY, field_for_header, normalize
from xlcsr.domain.settings import DEFAULT_SETTINGS, Settings
from xlcsr.domain.vocab import CONFIG_FILE
from xlcsr.mail.transport import SmtpConfig

DEFAULT_SENDER = "xlcsr@localhost"
ENV_PREFIX = "XLCSR_SMTP_"
_TOP_KEYS = ("registers", "time", "smtp", "outbox", "templates", "state_dir", "run_log", "columns", "backups")
_BACKUP_KEYS = ("recent_days", "daily_days")
_SMTP_KEYS = ("host", "port", "user", "password_env", "from", "starttls", "ssl")
_ENV_KEYS = ("host", "port", "user", "from", "starttls", "ssl")  # plus _PASSWORD, handled apart
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class Config(BaseModel):
    """Everything `xlcsr run` and `xlcsr remind` need besides the registers' own 设置 sheets."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    registers: list[Path] = Field(default_factory=list)
    time: str = "02:00"
    smtp: SmtpConfig | None = None
    outbox: Path
    templates: Path | None = None
    state_dir: Path
    run_log: Path
    config_dir: Path
    source: Path | None = None  # the file read, None when running on defaults
    columns: dict[str, str] = Field(default_factory=dict)  # [columns]: header → field key, for registers without 设置
    backups: Retention = Retention()  # [backups]: which backups beside a register stay

    @classmethod
    def defaults(cls, config_dir: Path) -> Config:
        return cls(outbox=config_dir / "outbox", state_dir=config_dir / ".xlcsr-state",
                   run_log=config_dir / "xlcsr-run.log", config_dir=config_dir)

    @property
    def uses_smtp(self) -> bool:
        return self.smtp is not None and self.smtp.configured

    @property
    def sender(self) -> str:
        return (self.smtp.from_addr if self.smtp else None) or DEFAULT_SENDER


def load_config(path: Path | None = None, *, env: Mapping[str, str] = os.environ,
                cwd: Path | None = None) -> Config:
    """Read the configuration file (or `xlcsr.toml` in `cwd`), then apply the environment."""
    cwd = Path(cwd) if cwd is not None else Path.cwd()
    if path is None:
        path = cwd / CONFIG_FILE
        if not path.is_file():  # no file to name: errors name the variables
            return _with_env(Config.defaults(cwd), {}, env, where=f"{ENV_PREFIX}*")
    path = path if path.is_absolute() else cwd / path
    if not path.is_file():
        raise BadConfig(f"找不到配置文件 {path} / configuration file not found: {path}")
    return _from_toml(_read(path), path, env)


def require_registers(config: Config) -> None:
    """Refuse a run without registers: no xlcsr.toml where it was looked for, or one that lists none."""
    if config.source is None:
        looked = config.config_dir / CONFIG_FILE
        raise BadConfig(f"此处没有 {CONFIG_FILE}（查找了 {looked}），请用 --config 指定配置文件 / "
                        f"no {CONFIG_FILE} here (looked for {looked}); name one with --config")
    if not config.registers:
        raise BadConfig(f"配置文件 {config.source} 中没有 registers，如 registers = [\"清单.xlsx\"] / "
                        f"{config.source} lists no registers, e.g. registers = [\"list.xlsx\"]")


def register_defaults(folder: Path) -> Settings:
    """The settings of a register in `folder` that has no 设置 sheet: the defaults, with the [columns]
    of the xlcsr.toml beside it (only that table is read here; SMTP and the environment play no part)."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        return DEFAULT_SETTINGS
    columns = _columns(_read(path).get("columns", {}), str(path))
    return DEFAULT_SETTINGS.model_copy(update={"column_map": columns}) if columns else DEFAULT_SETTINGS


def retention_for(folder: Path) -> Retention:
    """Which backups of a register in `folder` stay: the [backups] of the xlcsr.toml beside it, else the default."""
    path = folder / CONFIG_FILE
    if not path.is_file():
        return Retention()
    return _backups(_read(path).get("backups", {}), str(path))


def _read(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadConfig(f"配置文件 {path} 格式错误：{exc} / {path} is not valid TOML: {exc}") from None


def _from_toml(data: dict[str, object], path: Path, env: Mapping[str, str]) -> Config:
    where = str(path)
    _no_unknown(data, _TOP_KEYS, where, "")
    folder = path.parent
    base = Config.defaults(folder)
    smtp = data.get("smtp", {})
    if not isinstance(smtp, dict):
        raise _bad(where, "smtp", "应为 [smtp] 表", "must be an [smtp] table", smtp)
    if "password" in smtp:
        raise BadConfig(f"配置文件 {where}：[smtp] 不能写密码，请用环境变量 XLCSR_SMTP_PASSWORD 或 password_env "
                        f"指定的环境变量 / {where}: no password in the file; use XLCSR_SMTP_PASSWORD or the "
                        f"variable named by password_env")
    _no_unknown(smtp, _SMTP_KEYS, where, "[smtp] ")
    config = base.model_copy(update={
        "registers": [_path(p, folder, where, "registers") for p in _list(data.get("registers", []), where)],
        "time": _time(data.get("time", base.time), where),
        "outbox": _path(data.get("outbox", base.outbox), folder, where, "outbox"),
        "templates": _path(data["templates"], folder, where, "templates") if "templates" in data else None,
        "state_dir": _path(data.get("state_dir", base.state_dir), folder, where, "state_dir"),
        "run_log": _path(data.get("run_log", base.run_log), folder, where, "run_log"),
        "source": path,
        "columns": _columns(data.get("columns", {}), where),
        "backups": _backups(data.get("backups", {}), where),
    })
    return _with_env(config, smtp, env, where=where)


def _with_env(config: Config, smtp: Mapping[str, object], env: Mapping[str, str], *, where: str) -> Config:
    """Merge the [smtp] table with the environment (later wins) and take the password from it."""
    values: dict[str, object] = {}
    for key, value in smtp.items():
        values[key] = _smtp_value(key, value, f"配置文件 {where}：[smtp] {key}", f"{where}: [smtp] {key}")
    for key in _ENV_KEYS:
        name = ENV_PREFIX + key.upper()
        if env.get(name, "").strip():
            values[key] = _smtp_value(key, env[name].strip(), f"环境变量 {name}", f"environment variable {name}")
    if not values and not env.get(ENV_PREFIX + "PASSWORD"):
        return config
    password = env.get(ENV_PREFIX + "PASSWORD") or None
    if not password and values.get("password_env"):
        password = env.get(str(values["password_env"])) or None
    if values.get("starttls") and values.get("ssl"):
        raise BadConfig(f"配置 {where}：starttls 与 ssl 不能同时为 true（587 端口用 starttls，465 端口用 ssl）/ "
                        f"{where}: starttls and ssl cannot both be true")
    if values.get("host") and not values.get("from"):
        raise BadConfig(f"配置 {where}：已设置 SMTP 服务器，但缺少发件人地址（[smtp] from 或 XLCSR_SMTP_FROM）/ "
                        f"{where}: an SMTP host is set but no sender address ([smtp] from or XLCSR_SMTP_FROM)")
    if "from" in values:
        values["from_addr"] = values.pop("from")
    return config.model_copy(update={"smtp": SmtpConfig(**values, password=password)})


def _smtp_value(key: str, value: object, zh: str, en: str) -> object:
    if key == "port":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            raise BadConfig(f"{zh} 应为端口号（数字），现为「{value}」/ {en} must be a port number, got {value!r}")
        port = int(value)
        if not 1 <= port <= 65535:
            raise BadConfig(f"{zh} 应在 1–65535 之间，现为 {port} / {en} must be between 1 and 65535")
        return port
    if key in ("starttls", "ssl"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str | int) else ""
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise BadConfig(f"{zh} 应为 true 或 false，现为「{value}」/ {en} must be true or false, got {value!r}")
    if not isinstance(value, str) or not value.strip():
        raise BadConfig(f"{zh} 应为非空文字，现为「{value}」/ {en} must be non-empty text, got {value!r}")
    if key == "from" and "@" not in parseaddr(value)[1]:
        raise BadConfig(f"{zh} 不是有效的邮箱地址「{value}」/ {en} is not an e-mail address: {value!r}")
    return value.strip()


def _columns(table: object, where: str) -> dict[str, str]:
    """[columns]: "their header" = "field" (a header of the register, an alias, the English name or the key)."""
    if not isinstance(table, dict):
        raise _bad(where, "columns", "应为 [columns] 表", "must be a [columns] table", table)
    mapping = {}
    for header, name in table.items():
        field = field_for_header(str(name)) or FIELD_BY_KEY.get(str(name))
        if field is None:
            raise _bad(where, f"columns.{header}", "不是清单的字段", "is not a register field", name)
        mapping[normalize(header)] = field.key
    return mapping


def _backups(table: object, where: str) -> Retention:
    """[backups]: recent_days (every backup) and daily_days (one a day), whole days, daily_days ≥ recent_days."""
    if not isinstance(table, dict):
        raise _bad(where, "backups", "应为 [backups] 表", "must be a [backups] table", table)
    _no_unknown(table, _BACKUP_KEYS, where, "[backups] ")
    days = {}
    for key, default in zip(_BACKUP_KEYS, Retention()):
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _bad(where, f"backups.{key}", "应为天数（0 或正整数）", "must be a number of days (0 or more)", value)
        days[key] = value
    if days["daily_days"] < days["recent_days"]:
        raise _bad(where, "backups.daily_days", f"不能少于 recent_days（{days['recent_days']}）",
                   f"must not be less than recent_days ({days['recent_days']})", days["daily_days"])
    return Retention(**days)


def _no_unknown(table: Mapping[str, object], known: tuple[str, ...], where: str, prefix: str) -> None:
    for key in table:
        if key not in known:
            hint_zh, hint_en = ("；顶层设置须写在 [smtp] 之前", "; top-level keys go before [smtp]") if (
                prefix and key in _TOP_KEYS) else ("", "")
            raise BadConfig(f"配置文件 {where}：未知的设置项 {prefix}{key}（可用：{'、'.join(known)}）{hint_zh} / "
                            f"{where}: unknown key {prefix}{key} (known: {', '.join(known)}){hint_en}")


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise _bad(where, "registers", "应为文件列表，如 registers = [\"清单.xlsx\"]",
                   "must be a list of files, e.g. registers = [\"list.xlsx\"]", value)
    return value


def _path(value: object, folder: Path, where: str, key: str) -> Path:
    if not isinstance(value, str | Path) or not str(value).strip():
        raise _bad(where, key, "应为文件或文件夹路径", "must be a path", value)
    path = Path(str(value).strip()).expanduser()
    return path if path.is_absolute() else folder / path


def _time(value: object, where: str) -> str:
    match = _TIME.match(value) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise _bad(where, "time", "应为 HH:MM，如 \"02:00\"", "must be HH:MM, e.g. \"02:00\"", value)
    return f"{int(match[1]):02d}:{match[2]}"


def _bad(where: str, key: str, zh: str, en: str, value: object) -> BadConfig:
    return BadConfig(f"配置文件 {where}：{key} {zh}，现为「{value}」/ {where}: {key} {en}, got {value!r}")
