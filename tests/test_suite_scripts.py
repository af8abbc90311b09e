"""scripts/lib.sh: which Odoo series the suite runs on, and installs that never succeed silently.

The shell functions run in a real bash, sourcing the real lib.sh, against small folders that
look like Odoo trees (odoo-bin and odoo/release.py are all lib.sh reads) and against log lines
worded exactly as Odoo 18.0 and 19.0 write them (odoo/modules/module.py and loading.py).
"""

import subprocess
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parent.parent / "scripts" / "lib.sh"

# Odoo 19.0 (odoo/modules/module.py) when a manifest's version is not of its series.
INCOMPATIBLE = (
    "2026-12-01 16:00:00,000 4242 WARNING h19n odoo.modules.module: The module "
    "promotion_sync has an incompatible version, setting installable=False"
)
# Odoo 18.0 and 19.0 (odoo/modules/loading.py) when a module's demo data fails to load.
WITHOUT_DEMO = (
    "2026-12-01 16:00:01,000 4242 WARNING h19 odoo.modules.loading: Module stock_publication "
    "demo data failed to install, installed without demo data"
)
CLEAN = (
    "2026-12-01 16:00:00,000 4242 INFO h19 odoo.modules.loading: loading 42 modules...\n"
    "2026-12-01 16:00:02,000 4242 INFO h19 odoo.modules.loading: Module stock_publication: "
    "loading demo\n"
    "2026-12-01 16:00:03,000 4242 WARNING h19 odoo.modules.module: The module other_addon "
    "has an incompatible version, setting installable=False\n"
)


def _bash(script, env=None, cwd=None):
    return subprocess.run(
        ["bash", "-c", f'set -euo pipefail; source "{LIB}"; {script}'],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **(env or {})},
        cwd=cwd,
        timeout=30,
        check=False,
    )


def _tree(root, major):
    """A folder that looks like an Odoo source tree of series <major>.0."""
    (root / "odoo").mkdir(parents=True)
    (root / "odoo-bin").write_text("#!/usr/bin/env python3\n")
    (root / "odoo" / "release.py").write_text(
        f"RELEASE_LEVELS = []\nFINAL = 'final'\nversion_info = ({major}, 0, 0, FINAL, 0, '')\n"
    )
    return root


@pytest.mark.parametrize(
    ("line", "skipped"), [(INCOMPATIBLE, True), (WITHOUT_DEMO, True), (CLEAN, False)]
)
def test_skipped_in_log_finds_what_odoo_skipped_silently(tmp_path, line, skipped):
    log = tmp_path / "install.log"
    log.write_text(CLEAN + line + "\n")
    result = _bash(f'skipped_in_log "{log}"')
    assert (result.returncode == 0) is skipped, result
    assert result.stdout == (line + "\n" if skipped else "")


def test_install_or_update_fails_when_odoo_skipped_a_module(tmp_path):
    """Odoo exits 0 and logs no error, yet a module was skipped: the install fails, and says
    why, before the module states are even read."""
    log = tmp_path / "install.log"
    script = (
        f'odoo_bin() {{ printf \'%s\\n\' "$LOG_LINE" >"{log}"; }}; '
        f"pgtool() {{ echo pgtool-called; }}; "
        f'install_or_update conf h19 -i "$SUITE_ADDONS" "{log}"; echo reached'
    )
    failed = _bash(script, env={"LOG_LINE": INCOMPATIBLE})
    assert failed.returncode == 1
    assert "reached" not in failed.stdout and "pgtool-called" not in failed.stdout
    assert "skipped a module or its demo data" in failed.stderr
    assert "promotion_sync has an incompatible version" in failed.stderr
    ok = _bash(script, env={"LOG_LINE": CLEAN.splitlines()[0]})
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == ["pgtool-called", "reached"]


@pytest.mark.parametrize("major", [18, 19])
def test_series_comes_from_odoo_src(tmp_path, major):
    tree = _tree(tmp_path / "src", major)
    result = _bash(
        'select_series; echo "$ODOO_SERIES $VENV $(basename "$(odoo_requirements)")"',
        env={"ODOO_SRC": str(tree)},
    )
    assert result.returncode == 0, result.stderr
    venv = ".venv" if major == 18 else f".venv-{major}.0"
    root = LIB.parent.parent
    assert result.stdout.split() == [f"{major}.0", str(root / venv), f"odoo-{major}.0.txt"]
    assert (root / "requirements" / f"odoo-{major}.0.txt").is_file()


def test_odoo_version_chooses_the_series_without_odoo_src():
    result = _bash('select_series; echo "$ODOO_SERIES"', env={"ODOO_VERSION": "19.0"})
    assert result.stdout.split() == ["19.0"], result.stderr
    default = _bash('select_series; echo "$ODOO_SERIES"')
    assert default.stdout.split() == ["18.0"], default.stderr


@pytest.mark.parametrize(
    ("major", "odoo_version", "message"),
    [
        (17, "", "Odoo 17.0 is not supported"),
        (None, "", "is not an Odoo source tree"),
        (19, "18.0", "ODOO_VERSION=18.0 but ODOO_SRC="),
    ],
)
def test_unusable_series_is_refused_with_a_reason(tmp_path, major, odoo_version, message):
    src = _tree(tmp_path / "src", major) if major else tmp_path
    env = {"ODOO_SRC": str(src)}
    if odoo_version:
        env["ODOO_VERSION"] = odoo_version
    result = _bash("find_odoo; echo found", env=env)
    assert result.returncode == 1
    assert "found" not in result.stdout
    assert message in result.stderr


def test_find_odoo_puts_both_addons_folders_of_an_official_tree_on_the_path(tmp_path):
    """Official 18.0 and 19.0 checkouts keep base in odoo/addons and the other addons (web...)
    in addons/: both go on the path, after ours; the tree goes on the virtualenv's path."""
    tree = _tree(tmp_path / "src", 19)
    (tree / "odoo" / "addons" / "base").mkdir(parents=True)
    (tree / "addons" / "web").mkdir(parents=True)
    venv = tmp_path / "venv"
    site = venv / "lib" / "site"
    site.mkdir(parents=True)
    (venv / "bin").mkdir()
    (venv / "bin" / "python").write_text(f"#!/bin/sh\necho {site}\n")
    (venv / "bin" / "python").chmod(0o755)
    result = _bash(
        'find_odoo; echo "$ODOO_SRC"; echo "$ODOO_ADDONS_PATH"',
        env={"ODOO_SRC": str(tree), "SUITE_VENV": str(venv)},
    )
    assert result.returncode == 0, result.stderr
    src, path = result.stdout.split()
    assert src == str(tree)
    root = LIB.parent.parent
    assert path.split(",") == [f"{root}/addons", f"{tree}/odoo/addons", f"{tree}/addons"]
    assert (site / "odoo-src.pth").read_text().strip() == str(tree)


def test_present_series_lists_the_trees_on_the_machine(tmp_path):
    """.ci/run runs the suite once per series present: found in /opt/odoo/<series> (here
    ODOO_ROOT) or the suite's cache of clones, or ODOO_SRC's alone; none is a failure."""
    root, home = tmp_path / "opt", tmp_path / "home"
    _tree(root / "18.0", 18)
    _tree(home / ".cache" / "governed-commerce-sync" / "odoo-19.0", 19)
    (root / "17.0").mkdir()  # not a tree, and not supported anyway
    both = _bash("present_series", env={"ODOO_ROOT": str(root), "HOME": str(home)})
    assert (both.returncode, both.stdout) == (0, "18.0\n19.0\n")
    only_src = _bash("present_series", env={"ODOO_ROOT": str(root), "ODOO_SRC": str(root / "18.0")})
    assert (only_src.returncode, only_src.stdout) == (0, "18.0\n")
    none = _bash("present_series", env={"ODOO_ROOT": str(tmp_path / "empty")})
    assert (none.returncode, none.stdout) == (1, "")


def test_ci_run_fails_and_says_so_when_no_tree_is_present(tmp_path):
    ci_run = LIB.parent.parent / ".ci" / "run"
    result = subprocess.run(
        ["bash", str(ci_run)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ODOO_ROOT": str(tmp_path)},
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "no Odoo source tree on this machine" in result.stderr
