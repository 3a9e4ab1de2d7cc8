"""A non-editable install carries skills/, themes/ and assets/: the installed pai finds them
without the source tree. Built and installed offline from this checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_wheel_install_finds_the_bundled_folders(tmp_path: Path) -> None:
    dist, target = tmp_path / "dist", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    [wheel] = dist.glob("pai_tui-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True, capture_output=True,
                   timeout=300)

    # Run from an unrelated folder with only the installed copy of pai_tui importable first.
    env = {**os.environ, "PYTHONPATH": str(target), "PAI_HOME": str(tmp_path / "home"),
           "COLUMNS": "200"}
    probe = subprocess.run(
        [sys.executable, "-c",
         "import json, pai_tui, pai_tui.paths as p; print(json.dumps({'package': pai_tui.__file__,"
         " **{f: str(p.bundled(f)) for f in p.BUNDLED_FOLDERS}}))"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True)
    where = json.loads(probe.stdout)
    assert Path(where["package"]).is_relative_to(target)
    for folder, marker in (("themes", "pai.toml"), ("assets", "logo.txt"),
                           ("skills", "README.md")):
        path = Path(where[folder])
        assert path.is_relative_to(target), (folder, path)
        assert (path / marker).is_file()

    doctor = subprocess.run([sys.executable, "-m", "pai_tui", "doctor"], capture_output=True,
                            text=True, cwd=tmp_path, env=env)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "3 loaded: ember, pai, pai-light" in doctor.stdout
