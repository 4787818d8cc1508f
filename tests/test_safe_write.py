"""`fix --write` never loses a byte: the new file appears whole or not at all, keeps its mode, and is refused when
the file changed since it was read or may not be written."""

from __future__ import annotations

import os
import pathlib
import stat

import pytest

from kamalguard.fix import write as write_module
from kamalguard.fix.write import WriteRefused, write_atomic

from .conftest import VALID, run_cli, write_project

ORIGINAL = b"service: shop\n# a comment that must survive\nimage: acme/shop\n"
NEW = b"service: shop\n# a comment that must survive\nimage: acme/shop:1.2\n"

# A project whose only finding with a safe fix is KG105 (no-new-privileges), so `fix --write` changes the file.
DEPLOY = VALID + """\
    options:
      read-only: true
      tmpfs: [/rails/tmp, /tmp]
      cap-drop: [ALL]
"""


def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".kamalguard"))


@pytest.fixture
def original(tmp_path):
    path = tmp_path / "deploy.yml"
    path.write_bytes(ORIGINAL)
    return path


@pytest.mark.parametrize("interruption", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_write_interrupted_before_the_rename_leaves_the_original_and_no_temp_file(original, monkeypatch,
                                                                                      interruption):
    def interrupted(temp, real):
        assert pathlib.Path(temp).read_bytes() == NEW  # the new text was written and synced, then the rename failed
        raise interruption

    monkeypatch.setattr(write_module, "replace", interrupted)
    with pytest.raises(WriteRefused if isinstance(interruption, OSError) else KeyboardInterrupt) as raised:
        write_atomic(str(original), NEW, ORIGINAL)
    if isinstance(interruption, OSError):
        assert "No space left on device" in str(raised.value) and "the original is unchanged" in str(raised.value)
    assert original.read_bytes() == ORIGINAL
    assert leftovers(original.parent) == []


def test_the_file_mode_is_kept(original):
    os.chmod(original, 0o640)
    write_atomic(str(original), NEW, ORIGINAL)
    assert original.read_bytes() == NEW
    assert stat.S_IMODE(os.stat(original).st_mode) == 0o640
    assert leftovers(original.parent) == []


def test_a_file_changed_since_it_was_read_is_refused(original):
    original.write_bytes(ORIGINAL + b"# saved by an editor meanwhile\n")
    with pytest.raises(WriteRefused, match="changed since kamalguard read it; nothing written"):
        write_atomic(str(original), NEW, ORIGINAL)
    assert original.read_bytes() == ORIGINAL + b"# saved by an editor meanwhile\n"
    assert leftovers(original.parent) == []


def test_fix_write_refuses_a_file_changed_while_it_planned(tmp_path, monkeypatch):
    project = write_project(tmp_path, {"config/deploy.yml": DEPLOY})
    deploy = tmp_path / "config" / "deploy.yml"
    from kamalguard.fix import command

    real_plan = command.plan

    def plan_then_someone_edits(*args, **kwargs):
        result = real_plan(*args, **kwargs)
        deploy.write_text(DEPLOY + "# saved by an editor meanwhile\n")
        return result

    monkeypatch.setattr(command, "plan", plan_then_someone_edits)
    result = run_cli("fix", "--write", cwd=project)
    assert result.exit_code == 2, result.output
    assert "config/deploy.yml: changed since kamalguard read it; nothing written, run fix again" in result.output
    assert "Traceback" not in result.output
    assert deploy.read_text() == DEPLOY + "# saved by an editor meanwhile\n"


def test_a_read_only_file_is_refused_with_a_clear_error(original, tmp_path):
    os.chmod(original, 0o444)
    with pytest.raises(WriteRefused, match="is read-only; nothing written"):
        write_atomic(str(original), NEW, ORIGINAL)
    assert original.read_bytes() == ORIGINAL

    project = write_project(tmp_path / "project", {"config/deploy.yml": DEPLOY})
    deploy = tmp_path / "project" / "config" / "deploy.yml"
    os.chmod(deploy, 0o444)
    result = run_cli("fix", "--write", cwd=project)
    assert result.exit_code == 2 and "config/deploy.yml: is read-only; nothing written" in result.output
    assert deploy.read_text() == DEPLOY


def test_a_read_only_folder_gets_a_clear_error(original, monkeypatch):
    folder = original.parent
    os.chmod(folder, 0o555)
    try:
        if os.access(folder, os.W_OK):  # root writes anywhere: fail as the OS would for anyone else
            def refused(*args, **kwargs):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(write_module.tempfile, "mkstemp", refused)
        with pytest.raises(WriteRefused, match=r"cannot write in .* \(Permission denied\)"):
            write_atomic(str(original), NEW, ORIGINAL)
        assert original.read_bytes() == ORIGINAL
    finally:
        os.chmod(folder, 0o755)
    assert leftovers(folder) == []


def test_writing_through_a_symlink_updates_the_target_and_keeps_the_link(tmp_path):
    shared = write_project(tmp_path / "shared", {"deploy.yml": DEPLOY})
    project = write_project(tmp_path / "project", {"config/.keep": ""})
    link = tmp_path / "project" / "config" / "deploy.yml"
    os.symlink(os.path.join(shared, "deploy.yml"), link)
    result = run_cli("fix", "--write", cwd=project)
    assert result.exit_code in (0, 1), result.output
    assert os.path.islink(link) and os.readlink(link) == os.path.join(shared, "deploy.yml")
    fixed = (tmp_path / "shared" / "deploy.yml").read_text()
    assert fixed != DEPLOY and "no-new-privileges" in fixed
    assert leftovers(tmp_path / "shared") == [] and leftovers(tmp_path / "project" / "config") == []


def test_a_refused_file_leaves_every_file_of_the_fix_unwritten(tmp_path):
    overlay = "servers:\n  web:\n    hosts: [192.0.2.99]\n    options:\n      privileged: true\n"
    project = write_project(tmp_path, {"config/deploy.yml": VALID, "config/deploy.staging.yml": overlay})
    base = tmp_path / "config" / "deploy.yml"
    (tmp_path / "config" / "deploy.staging.yml").chmod(0o444)
    result = run_cli("fix", "--write", "--unsafe-fixes", "-d", "staging", cwd=project)
    assert result.exit_code == 2 and "is read-only; nothing written" in result.output
    assert base.read_text() == VALID
