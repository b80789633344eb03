"""`xlcsr doctor`: each failure it checks for, made to happen in a temp folder, reported with its fix.

Windows paths are exercised on Linux with `platform="win32"` and a fake home; the scheduler through a
fake `run_command`; SMTP against real sockets on 127.0.0.1; the add-in is a real built `.xlam`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import xlcsr
from xlcsr.cli.app import app
from xlcsr.excel import doctor
from xlcsr.excel.addin import addin_folder, build_addin, install_addin, user_config_path
from xlcsr.excel.addin.build import addin_bytes
from xlcsr.excel.addin.sources import addin_sources
from xlcsr.excel.addin.versions import PINNED_XLWINGS, BuiltWith, installed_xlwings
from xlcsr.excel.doctor import Check, DoctorReport, TrustedLocations, is_trusted, run_doctor

runner = CliRunner()


class Scheduler:
    """A fake `run_command`: records each call, answers with `returncode` and `stdout`."""

    def __init__(self, returncode: int = 0, stdout: str = "", error: Exception | None = None) -> None:
        self.returncode, self.stdout, self.error = returncode, stdout, error
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        if self.error is not None:
            raise self.error
        return subprocess.CompletedProcess(argv, self.returncode, self.stdout, "")


@pytest.fixture(scope="module")
def xlam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("built") / "xlcsr.xlam")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("APPDATA", raising=False)  # addin_folder then uses home/AppData/Roaming
    for name in ("XLCSR_SMTP_HOST", "XLCSR_SMTP_PORT", "XLCSR_SMTP_USER", "XLCSR_SMTP_PASSWORD",
                 "XLCSR_SMTP_FROM", "XLCSR_SMTP_STARTTLS", "XLCSR_SMTP_SSL", "CSR_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def installed(home: Path, xlam: Path, platform: str = "win32") -> Path:
    """The add-in installed the real way, with the conf naming this Python."""
    return install_addin(xlam, platform=platform, home=home, interpreter=sys.executable)


def write_config(folder: Path, *, registers: list[str] | None = None, smtp: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    names = registers if registers is not None else ["清单.xlsx"]
    for name in names:
        if not name.startswith("missing/"):
            (folder / name).write_bytes(b"PK")  # the folder check looks for the file, not inside it
    config = folder / "xlcsr.toml"
    config.write_text("registers = [" + ", ".join(f'"{n}"' for n in names) + "]\n" + smtp, encoding="utf-8")
    return config


def by_name(report: DoctorReport, name: str) -> Check:
    found = [check for check in report.checks if check.name == name]
    assert len(found) == 1, [c.name for c in report.checks]
    return found[0]


def failed(report: DoctorReport) -> list[str]:
    return [check.name for check in report.failures()]


@pytest.fixture
def listening() -> Iterator[int]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd); yields its port and checks no mail reached it."""
    from aiosmtpd.controller import Controller

    class Handler:
        messages: list[object] = []

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
            self.messages.append(envelope)
            return "250 OK"

    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
    assert handler.messages == []


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed: connecting is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_table(port: int, extra: str = "") -> str:
    return f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom = "csr@example.com"\n{extra}'


# --- all well -------------------------------------------------------------------------------------

def test_a_windows_pc_set_up_as_the_readme_says_passes_every_check(
        home: Path, xlam: Path, tmp_path: Path, listening: int) -> None:
    installed(home, xlam)
    config = write_config(tmp_path / "csr", smtp=smtp_table(listening))
    tasks = Scheduler(returncode=0)
    report = run_doctor(config=config, platform="win32", home=home, run_command=tasks)
    assert report.failures() == []
    assert report.ok
    assert [c.name for c in report.checks] == ["Python 版本", "xlwings", "加载项", "加载项信任", "xlcsr.conf",
                                               "Python 解释器", "配置文件", "SMTP 服务器", "夜间任务", "清单文件夹"]
    assert tasks.calls == [["schtasks", "/Query", "/TN", "xlcsr nightly"]]
    assert "已连接 127.0.0.1" in by_name(report, "SMTP 服务器").detail
    assert "未在此检查" in by_name(report, "加载项信任").detail  # no registry on Linux: said, not faked
    assert sorted(p.name for p in (tmp_path / "csr").iterdir()) == ["xlcsr.toml", "清单.xlsx"]  # probe file gone
    rows = report.to_rows()
    assert rows[0][:2] == ["Python 版本", "正常"] and all(len(row) == 4 and row[3] == "" for row in rows)


def test_on_linux_the_excel_checks_do_not_apply(home: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "csr")
    cron = Scheduler(stdout=f"0 2 * * * cd {tmp_path} && xlcsr run --config {config} --once\n")
    report = run_doctor(config=config, platform="linux", home=home, run_command=cron)
    assert report.ok, report.failures()
    assert "不适用" in by_name(report, "加载项").detail and "不适用" in by_name(report, "xlcsr.conf").detail
    assert cron.calls == [["crontab", "-l"]]


def test_a_mac_install_uses_the_mac_folders_and_interpreter_key(home: Path, xlam: Path, tmp_path: Path) -> None:
    target = installed(home, xlam, platform="darwin")
    assert target.parent == addin_folder("darwin", home)
    assert user_config_path("darwin", home).read_text(encoding="utf-8").startswith('"INTERPRETER_MAC"')
    report = run_doctor(config=write_config(tmp_path / "csr"), platform="darwin", home=home,
                        run_command=Scheduler(stdout="0 2 * * * xlcsr run --once\n"))
    assert report.ok, report.failures()
    assert "INTERPRETER_MAC" in by_name(report, "Python 解释器").detail


# --- the add-in -----------------------------------------------------------------------------------

def test_a_missing_addin_fails_with_the_install_command(home: Path) -> None:
    report = run_doctor(platform="win32", home=home, run_command=Scheduler())
    check = by_name(report, "加载项")
    assert not check.ok and "未安装" in check.detail and check.fix == "xlcsr addin install"
    assert by_name(report, "xlwings").fix == "xlcsr addin install"  # no add-in: its DLL cannot be compared
    assert {"加载项", "xlwings", "xlcsr.conf"} <= set(failed(report))


def test_an_addin_in_the_wrong_folder_is_found_and_the_fix_installs_that_file(home: Path, xlam: Path) -> None:
    downloads = home / "Downloads"
    downloads.mkdir()
    shutil.copy(xlam, downloads / "xlcsr.xlam")
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "加载项")
    assert not check.ok
    assert str(downloads) in check.detail and str(addin_folder("win32", home)) in check.detail
    assert f'xlcsr addin install --xlam "{downloads / "xlcsr.xlam"}"' in check.fix


def test_xlwings_missing_fails_with_pip(home: Path, xlam: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(home, xlam)
    monkeypatch.setattr(doctor, "installed_xlwings", lambda: None)
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "xlwings")
    assert not check.ok and check.fix == 'py -m pip install "xlcsr[excel]"'


def test_an_upgraded_xlwings_no_longer_matches_the_addins_dll(
        home: Path, xlam: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(home, xlam)
    assert by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "xlwings").ok
    monkeypatch.setattr(doctor, "installed_xlwings", lambda: "0.99.0")
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "xlwings")
    dll = doctor.addin_dll_version(addin_folder("win32", home) / "xlcsr.xlam")
    assert not check.ok and "0.99.0" in check.detail and dll in check.detail
    assert check.fix.startswith("关闭 Excel") and f"pip install xlwings=={PINNED_XLWINGS}" in check.fix


def test_an_addin_built_against_another_xlwings_is_a_mismatch(home: Path, tmp_path: Path) -> None:
    """An add-in an older xlcsr built against xlwings 0.30.0, installed beside today's xlwings."""
    stale = tmp_path / "stale.xlam"
    stale.write_bytes(addin_bytes(addin_sources(BuiltWith(xlcsr=xlcsr.__version__, xlwings="0.30.0"))))
    assert doctor.addin_dll_version(stale) == "0.30.0"
    installed(home, stale)
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "xlwings")
    assert not check.ok and "0.30.0" in check.detail and installed_xlwings() in check.detail
    assert f"pip install xlwings=={PINNED_XLWINGS}" in check.fix


def test_the_dll_version_is_read_from_the_built_vba(xlam: Path) -> None:
    import importlib.metadata

    assert doctor.addin_dll_version(xlam) == importlib.metadata.version("xlwings")


def test_a_damaged_addin_is_reported(home: Path) -> None:
    folder = addin_folder("win32", home)
    folder.mkdir(parents=True)
    (folder / "xlcsr.xlam").write_bytes(b"not a zip")
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "xlwings")
    assert not check.ok and "无法读取加载项" in check.detail and "xlcsr addin install" in check.fix


def test_trusted_locations_as_excel_reads_them() -> None:
    addins = Path(r"C:\Users\li\AppData\Roaming\Microsoft\AddIns")
    assert is_trusted(addins, TrustedLocations(exists=False))  # Excel's defaults
    assert is_trusted(addins, TrustedLocations(True, False, ((r"c:\users\li\appdata\roaming\microsoft\addins\\",
                                                              False),)))
    assert is_trusted(addins, TrustedLocations(True, False, ((r"C:\Users\li\AppData\Roaming\Microsoft", True),)))
    assert not is_trusted(addins, TrustedLocations(True, False, ((r"C:\Users\li\AppData\Roaming\Microsoft", False),)))
    assert not is_trusted(addins, TrustedLocations(True, False, ((r"C:\Users\li\AppData\Roaming\Microsoft\Templates",
                                                                  True),)))
    assert not is_trusted(addins, TrustedLocations(exists=True, all_disabled=True, locations=((str(addins), True),)))


def test_an_untrusted_addin_folder_fails_with_the_trust_center_steps(
        home: Path, xlam: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(home, xlam)
    monkeypatch.setattr(doctor, "read_trusted_locations",
                        lambda: TrustedLocations(True, False, ((r"C:\Program Files\Microsoft Office\root", True),)))
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "加载项信任")
    assert not check.ok and "受信任位置" in check.fix and str(addin_folder("win32", home)) in check.fix


# --- xlcsr.conf and its interpreter ---------------------------------------------------------------

def test_a_missing_conf_fails_and_the_interpreter_is_not_checked(home: Path, xlam: Path) -> None:
    installed(home, xlam)
    user_config_path("win32", home).unlink()
    report = run_doctor(platform="win32", home=home, run_command=Scheduler())
    check = by_name(report, "xlcsr.conf")
    assert not check.ok and "找不到" in check.detail and check.fix == "xlcsr addin install"
    assert "Python 解释器" not in [c.name for c in report.checks]


def test_an_undecodable_conf_fails_with_delete_and_reinstall(home: Path, xlam: Path) -> None:
    installed(home, xlam)
    conf = user_config_path("win32", home)
    conf.write_bytes(b'"INTERPRETER_WIN","C:\\Users\\\xff\xfe\\python.exe"\r\n')
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "xlcsr.conf")
    assert not check.ok and "编码" in check.detail
    assert str(conf) in check.fix and "xlcsr addin install" in check.fix


def test_a_conf_with_a_bom_fails(home: Path, xlam: Path) -> None:
    installed(home, xlam)
    conf = user_config_path("win32", home)
    conf.write_bytes(b"\xef\xbb\xbf" + conf.read_bytes())
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "xlcsr.conf")
    assert not check.ok and "BOM" in check.detail


def test_an_interpreter_that_does_not_exist_fails_naming_this_python(home: Path, xlam: Path) -> None:
    installed(home, xlam)
    gone = home / "Python311" / "python.exe"
    user_config_path("win32", home).write_text(f'"INTERPRETER_WIN","{gone}"\n', encoding="utf-8")
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "Python 解释器")
    assert not check.ok and str(gone) in check.detail and sys.executable in check.fix


def test_a_conf_without_an_interpreter_key_fails(home: Path, xlam: Path) -> None:
    installed(home, xlam)
    user_config_path("win32", home).write_text('"SHOW CONSOLE","True"\n', encoding="utf-8")
    check = by_name(run_doctor(platform="win32", home=home, run_command=Scheduler()), "Python 解释器")
    assert not check.ok and "INTERPRETER_WIN" in check.detail


def test_the_interpreter_may_name_an_environment_variable(
        home: Path, xlam: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(home, xlam)
    python = home / "Python311" / "python.exe"
    python.parent.mkdir(parents=True)
    python.write_bytes(b"MZ")
    monkeypatch.setenv("XLCSR_TEST_PYTHONS", str(home))
    user_config_path("win32", home).write_bytes(  # key spelled as the add-in's sheet spells it
        f'"Interpreter_Win","%XLCSR_TEST_PYTHONS%{os.sep}Python311{os.sep}python.exe"\r\n'.encode("ascii"))
    report = run_doctor(platform="win32", home=home, run_command=Scheduler())
    assert by_name(report, "xlcsr.conf").ok and by_name(report, "Python 解释器").ok, report.failures()
    assert str(python) in by_name(report, "Python 解释器").detail


def test_a_chinese_user_folder_reads_on_a_mac(home: Path, xlam: Path) -> None:
    python = home / "用户" / "张三" / "bin" / "python3"
    python.parent.mkdir(parents=True)
    python.write_bytes(b"#!")
    install_addin(xlam, platform="darwin", home=home, interpreter=str(python))
    report = run_doctor(platform="darwin", home=home, run_command=Scheduler())
    assert by_name(report, "xlcsr.conf").ok and by_name(report, "Python 解释器").ok, report.failures()


def test_a_utf8_conf_with_chinese_fails_where_vba_reads_the_ansi_code_page(home: Path, xlam: Path) -> None:
    """The old install wrote UTF-8; VBA on Chinese Windows reads GBK and gets the folder name wrong."""
    installed(home, xlam)
    conf = user_config_path("win32", home)
    conf.write_bytes('"INTERPRETER_WIN","C:\\Users\\张三\\python.exe"\r\n'.encode())
    report = run_doctor(platform="win32", home=home, run_command=Scheduler())
    check = by_name(report, "xlcsr.conf")
    assert not check.ok and "xlcsr addin install" in check.fix
    assert "Python 解释器" not in [c.name for c in report.checks]


# --- xlcsr.toml: SMTP, the nightly task, the register folders ------------------------------------

def test_an_smtp_host_refusing_connections_fails(home: Path, tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path / "csr", smtp=smtp_table(port))
    check = by_name(run_doctor(config=config, platform="linux", home=home, smtp_timeout=2,
                               run_command=Scheduler(stdout="xlcsr run\n")), "SMTP 服务器")
    assert not check.ok and f"127.0.0.1:{port}" in check.detail
    assert f"nc -vz 127.0.0.1 {port}" in check.fix


def test_a_reachable_smtp_host_is_only_connected_to(home: Path, tmp_path: Path, listening: int) -> None:
    config = write_config(tmp_path / "csr", smtp=smtp_table(listening))
    check = by_name(run_doctor(config=config, platform="win32", home=home, run_command=Scheduler()), "SMTP 服务器")
    assert check.ok and "未登录" in check.detail  # and the fixture asserts no mail arrived


def test_an_smtp_user_without_a_password_fails(home: Path, tmp_path: Path, listening: int) -> None:
    config = write_config(tmp_path / "csr", smtp=smtp_table(listening, 'user = "robot"\npassword_env = '
                                                                       '"CSR_SMTP_PASSWORD"\n'))
    check = by_name(run_doctor(config=config, platform="win32", home=home, run_command=Scheduler()), "SMTP 服务器")
    assert not check.ok and "CSR_SMTP_PASSWORD" in check.detail and check.fix == 'setx CSR_SMTP_PASSWORD "…"'


def test_no_smtp_host_means_the_outbox_and_passes(home: Path, tmp_path: Path) -> None:
    check = by_name(run_doctor(config=write_config(tmp_path / "csr"), platform="win32", home=home,
                               run_command=Scheduler()), "SMTP 服务器")
    assert check.ok and "发件箱" in check.detail


def test_a_missing_scheduled_task_fails_with_the_schtasks_create_line(home: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "csr")
    check = by_name(run_doctor(config=config, platform="win32", home=home, run_command=Scheduler(returncode=1)),
                    "夜间任务")
    assert not check.ok
    assert check.fix.startswith('schtasks /Create /TN "xlcsr nightly" /SC DAILY /ST 02:00')
    assert f"--config {config} --once" in check.fix


@pytest.mark.parametrize(("returncode", "stdout"), [
    (1, ""),  # "no crontab for user"
    (0, "0 3 * * * /usr/bin/backup\n"),
    (0, "# 0 2 * * * xlcsr run --config x.toml --once\n"),  # commented out
])
def test_a_crontab_without_the_nightly_run_fails_with_the_cron_line(
        home: Path, tmp_path: Path, returncode: int, stdout: str) -> None:
    config = write_config(tmp_path / "csr")
    check = by_name(run_doctor(config=config, platform="linux", home=home,
                               run_command=Scheduler(returncode, stdout)), "夜间任务")
    assert not check.ok and "crontab -e" in check.fix and f"run --config {config} --once" in check.fix
    assert check.fix.split("add: ")[1].startswith("0 2 * * * ")


def test_a_scheduler_that_cannot_be_run_fails(home: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "csr")
    check = by_name(run_doctor(config=config, platform="linux", home=home,
                               run_command=Scheduler(error=FileNotFoundError(2, "No such file", "crontab"))),
                    "夜间任务")
    assert not check.ok and "crontab" in check.detail


def test_without_a_config_the_nightly_task_is_not_checked(home: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tasks = Scheduler(returncode=1)
    report = run_doctor(platform="linux", home=home, run_command=tasks)
    assert report.ok and tasks.calls == [] and "未检查" in by_name(report, "夜间任务").detail


def test_a_register_folder_that_is_not_writable_fails(home: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locked"
    config = write_config(folder)
    config = config.rename(tmp_path / "xlcsr.toml")
    config.write_text('registers = ["locked/清单.xlsx"]\n', encoding="utf-8")
    folder.chmod(0o500)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root writes through chmod: the OS refuses as it would
        made = tempfile.mkstemp

        def refused(*args: object, **kwargs: object) -> tuple[int, str]:
            if Path(str(kwargs.get("dir", ""))) == folder:
                raise PermissionError(13, "Permission denied", str(folder))
            return made(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(tempfile, "mkstemp", refused)
    try:
        check = by_name(run_doctor(config=config, platform="linux", home=home,
                                   run_command=Scheduler(stdout="xlcsr run\n")), "清单文件夹")
    finally:
        folder.chmod(0o700)
    assert not check.ok and "不能写入" in check.detail and f'chmod u+w "{folder}"' in check.fix


def test_a_register_folder_that_does_not_exist_fails(home: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "csr", registers=["清单.xlsx", "missing/二厂.xlsx"])
    report = run_doctor(config=config, platform="win32", home=home, run_command=Scheduler())
    folders = [c for c in report.checks if c.name == "清单文件夹"]
    assert [c.ok for c in folders] == [True, False]
    assert "文件夹不存在" in folders[1].detail and "registers" in folders[1].fix


def test_a_register_file_that_is_missing_fails(home: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "csr")
    (tmp_path / "csr" / "清单.xlsx").unlink()
    check = by_name(run_doctor(config=config, platform="win32", home=home, run_command=Scheduler()), "清单文件夹")
    assert not check.ok and "清单.xlsx" in check.detail


def test_a_broken_config_fails_and_its_checks_are_left_out(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "xlcsr.toml"
    config.write_text('registers = "清单.xlsx"\n', encoding="utf-8")
    tasks = Scheduler()
    report = run_doctor(config=config, platform="win32", home=home, run_command=tasks)
    check = by_name(report, "配置文件")
    assert not check.ok and str(config) in check.detail and tasks.calls == []
    assert not {"SMTP 服务器", "夜间任务", "清单文件夹"} & {c.name for c in report.checks}


# --- the report and the command --------------------------------------------------------------------

def test_report_rows_and_summary() -> None:
    report = DoctorReport([Check("加载项", False, "未安装 / not installed", "xlcsr addin install"),
                           Check("Python 版本", True, "Python 3.11 / ok", "unused")])
    assert not report.ok and report.failures() == [report.checks[0]]
    assert report.to_rows() == [["加载项", "有问题", "未安装 / not installed", "xlcsr addin install"],
                                ["Python 版本", "正常", "Python 3.11 / ok", ""]]
    assert report.to_rows("en")[0][:2] == ["Add-in", "problem"]
    assert report.summary() == "2 项检查中有 1 项有问题：加载项"
    assert DoctorReport([report.checks[1]]).ok


def test_doctor_exits_zero_when_all_is_well(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no xlcsr.toml here; on Linux the Excel checks do not apply
    if not sys.platform.startswith("linux"):
        pytest.skip("the real platform's checks depend on this machine")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "正常" in result.output and "全部" in result.output


def test_doctor_exits_one_and_lists_each_problem_with_its_fix(tmp_path: Path) -> None:
    config = write_config(tmp_path / "csr", registers=["missing/清单.xlsx"])
    result = runner.invoke(app, ["doctor", "--config", str(config), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "Register folder" in result.output and "problem" in result.output
    assert "✗ 清单文件夹：文件夹不存在" in result.output and "→ 检查 xlcsr.toml 中的 registers" in result.output
