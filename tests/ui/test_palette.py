from __future__ import annotations

from sloppy.ui.commands import Command
from sloppy.ui.palette import Palette, filter_commands, fuzzy_score

CMDS = [
    Command("theme.nerv", "Switch theme: NERV", lambda: None, "theme"),
    Command("theme.default", "Switch theme: Default (dark)", lambda: None, "theme"),
    Command("provider.anthropic", "Switch provider: Anthropic", lambda: None, "provider"),
    Command("quit", "Quit sloppy", lambda: None),
]


def test_subsequence_matching() -> None:
    assert fuzzy_score("nrv", "NERV") is not None
    assert fuzzy_score("vrn", "NERV") is None
    assert fuzzy_score("", "anything") == 0.0


def test_consecutive_and_word_start_rank_higher() -> None:
    assert fuzzy_score("ner", "NERV") > fuzzy_score("ner", "no eager rush")  # type: ignore[operator]


def test_filter_orders_best_first_and_drops_misses() -> None:
    assert [c.id for c in filter_commands("theme nerv", CMDS)] == ["theme.nerv"]
    assert filter_commands("quit", CMDS)[0].id == "quit"
    assert filter_commands("zzz", CMDS) == []
    assert len(filter_commands("", CMDS)) == len(CMDS)


def test_palette_state() -> None:
    p = Palette()
    p.toggle()
    assert p.is_open and p.query == ""
    p.move(-1, 4)
    assert p.selected == 3
    p.toggle()
    assert not p.is_open
