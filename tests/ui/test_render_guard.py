"""The crash marker: what a dead run was drawing becomes a suspect; a clean frame leaves none."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sloppy.ui.render_guard import MARKER, SUSPECTS, Guard, Mark

TEXT = "| a | b |\n|---|---|\n" + "x" * 5000


def test_a_clean_frame_leaves_an_empty_marker(tmp_path: Path) -> None:
    g = Guard(tmp_path)
    g.load()
    g.before(Mark.of("m1", TEXT))
    assert "m1" in (tmp_path / MARKER).read_text()
    g.frame_done()
    assert (tmp_path / MARKER).read_text() == ""
    g.close()
    assert Guard(tmp_path).suspects == []


def test_a_marker_left_by_a_dead_run_names_the_last_message_drawn(tmp_path: Path) -> None:
    g = Guard(tmp_path)
    g.load()
    g.before(Mark.of("m1", "first message " * 10))
    g.before(Mark.of("m2", TEXT))  # the process dies here: no frame_done, no close
    os.close(g._fd)

    again = Guard(tmp_path)
    again.load()
    assert [m.key for m in again.suspects] == ["m2"]
    assert again.is_suspect("m2", TEXT)
    assert not again.is_suspect("m1", "first message " * 10)
    # The same text saved under another id (a streamed reply, saved when it ended).
    assert again.is_suspect("saved-id", TEXT + " and more")
    assert (tmp_path / MARKER).read_text() == ""
    saved = json.loads((tmp_path / SUSPECTS).read_text())
    assert saved["suspects"][0]["key"] == "m2"
    again.close()
    # Still a suspect at the start after that (the marker is gone, the list stays).
    third = Guard(tmp_path)
    third.load()
    assert third.is_suspect("m2", TEXT)
    third.forgive("m2", TEXT)
    third.save()
    third.close()
    fourth = Guard(tmp_path)
    fourth.load()
    assert not fourth.is_suspect("m2", TEXT)
    fourth.close()


def test_short_texts_match_by_id_only(tmp_path: Path) -> None:
    g = Guard(tmp_path)
    g.add(Mark.of("k", "hi"), "froze")
    assert g.is_suspect("k", "hi")
    assert not g.is_suspect("other", "hi")


def test_garbage_files_are_set_aside_and_ignored(tmp_path: Path) -> None:
    (tmp_path / SUSPECTS).write_text("{not json")
    (tmp_path / MARKER).write_bytes(b'\xff\xfe garbage\n{"key": 3}\n')
    g = Guard(tmp_path)
    g.load()
    assert g.suspects == [] and g.loaded
    g.close()


def test_marker_is_never_written_through_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (tmp_path / MARKER).symlink_to(victim)
    g = Guard(tmp_path)
    g.load()
    g.before(Mark.of("m", TEXT))
    g.close()
    assert victim.read_text() == "keep me"


def test_no_directory_means_unguarded_drawing_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    g = Guard(blocker / "sub")
    g.load()
    assert g.loaded
    g.before(Mark.of("m", TEXT))
    g.frame_done()
    g.close()


def test_a_streamed_reply_matches_by_its_start_only(tmp_path: Path) -> None:
    """A reply being streamed is marked without a key (its key is the same for every reply):
    the reply saved after the crash matches by its first characters, other replies do not."""
    g = Guard(tmp_path)
    g.add(Mark.of("", TEXT[:100]), "crashed")
    assert g.is_suspect("saved-id", TEXT)
    assert not g.is_suspect("", "another reply, long enough to have a prefix of its own")
