"""`inboxbot init DIR`: a starter department a sales head fills in.

Two files, shipped in the package (inboxbot/starter_data/): a rules.toml with Russian
comments (two example managers, a pool, the client rules, no clients yet) and an empty
client base whose header is the columns that rules.toml maps. `inboxbot check` accepts
the pair as written. Existing files are never overwritten.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from inboxbot.errors import ConfigError

STARTER_FILES = ("rules.toml", "clients.csv")
# What to do when the package's own data files are missing (a broken install).
REINSTALL = "переустановите inboxbot: pip install --force-reinstall inboxbot"


def starter_data() -> Path:
    """The folder of the starter files inside the installed package."""
    return Path(str(importlib.resources.files("inboxbot") / "starter_data"))


def write_starter(folder: Path, data: Path | None = None) -> tuple[Path, ...]:
    """Write the starter files into `folder` (created if missing) and return their paths.
    Raises ConfigError, writing nothing, if `folder` is a file or already holds any of them."""
    data = starter_data() if data is None else data
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} — это файл, а не папка. Что сделать: укажите папку для нового отдела")
    taken = [name for name in STARTER_FILES if (folder / name).exists()]
    if taken:
        raise ConfigError(
            f"в папке {folder} уже есть {', '.join(taken)}: inboxbot init не перезаписывает файлы. "
            f"Что сделать: укажите другую папку или переименуйте эти файлы"
        )
    missing = [name for name in STARTER_FILES if not (data / name).is_file()]
    if missing:
        raise ConfigError(
            f"в установленном пакете нет заготовки ({', '.join(missing)} в {data}). "
            f"Что сделать: {REINSTALL}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in STARTER_FILES:
        target = folder / name
        try:  # "x": a file that appeared since the check above is still not overwritten
            with open(target, "xb") as out:
                out.write((data / name).read_bytes())
        except FileExistsError:
            raise ConfigError(f"файл {target} появился, пока создавалась заготовка: он не перезаписан") from None
        written.append(target)
    return tuple(written)
