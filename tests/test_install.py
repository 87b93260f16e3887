"""What `pip install inboxbot` gives a user: the wheel, installed into a fresh venv away from
the checkout, runs `inboxbot demo` and `inboxbot init` from an empty folder.

The wheel is built from the tracked files only (copied out of the checkout first, as a
clone would have them), so a data file that was never added to git, or that setuptools'
package-data does not list, fails here. The venv gets its dependencies from the
environment running the tests (--system-site-packages, plus a .pth naming this venv's
site-packages when the tests run in one): no network, one venv build for the module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from samples import REPO

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    venv: Path

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return subprocess.run([str(self.venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=env,
                              capture_output=True, text=True)  # fmt: skip


def tracked_copy(target: Path) -> Path:
    """The checkout's tracked files (as they are in the work tree) copied to `target`."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    for name in names.decode("utf-8").split("\0"):
        source = REPO / name
        if name and source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("install")
    source = tracked_copy(work / "source")
    wheels = work / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(wheels), str(source)], check=True)
    (wheel,) = wheels.glob("inboxbot-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    if sys.prefix != sys.base_prefix:  # the tests run in a venv: its packages are the dependencies
        (site,) = Path(venv / "lib").glob("python3*/site-packages")
        dirs = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
        (site / "_inboxbot_test_dependencies.pth").write_text("\n".join(dirs) + "\n", encoding="utf-8")
    subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "--no-deps", "--no-index",
                    str(wheel)], check=True)  # fmt: skip
    yield Installed(venv)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed, tmp_path: Path) -> None:
    result = installed.run("python", "-c", "import inboxbot; print(inboxbot.__file__)", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.venv)


def test_demo_runs_from_an_empty_folder(installed: Installed, tmp_path: Path) -> None:
    result = installed.run("inboxbot", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Итого: 30 писем" in result.stdout and "переслано 25" in result.stdout
    assert len(list((tmp_path / "demo-out" / "forwards").glob("*.eml"))) >= 25
    assert (tmp_path / "demo-out" / "report.html").is_file()


def test_init_then_check_from_an_empty_folder(installed: Installed, tmp_path: Path) -> None:
    made = installed.run("inboxbot", "init", "отдел", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    checked = installed.run("inboxbot", "check", "--rules", "отдел/rules.toml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "правила в порядке" in checked.stdout
    again = installed.run("inboxbot", "init", "отдел", cwd=tmp_path)
    assert again.returncode == 2 and "не перезаписывает" in again.stderr


def test_every_package_is_declared_for_the_wheel() -> None:
    """pyproject lists the packages by name (templates/ is mapped in from outside the tree), so a new
    sub-package missing from that list would be left out of the wheel, and only a fresh install
    would notice."""
    import tomllib

    declared = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(REPO).parts) for init in (REPO / "inboxbot").rglob("__init__.py")}
    assert found - declared == set()
