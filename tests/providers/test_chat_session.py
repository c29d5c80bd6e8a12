"""ChatSession without a provider: what would be sent, conversations, trash and undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sloppy.providers.chat import ChatSession, history_for_model
from sloppy.store import discussions, trash
from sloppy.store.messages import Discussion, Message, title_of


def _turns(*spec: str) -> list[Message]:
    """``"u:hi"``, ``"a:yo"``, ``"e:boom"`` (an error reply), ``"s:part"`` (a stopped reply)."""
    out = []
    for i, item in enumerate(spec):
        kind, text = item.split(":", 1)
        role = "user" if kind == "u" else "assistant"
        out.append(Message(role, text, at=float(i + 1), error=kind == "e", stopped=kind == "s"))
    return out


def _sent(*spec: str) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in history_for_model(_turns(*spec))]


def test_error_turns_and_the_prompts_they_answered_are_not_sent() -> None:
    assert _sent("u:q1", "a:r1", "u:q2", "e:openai: Error code: 500") == [
        ("user", "q1"),
        ("assistant", "r1"),
    ]
    assert _sent("u:q1", "e:boom", "u:q2", "a:r2") == [("user", "q2"), ("assistant", "r2")]


def test_a_stopped_reply_is_sent_as_its_partial_text_and_an_empty_one_not_at_all() -> None:
    assert _sent("u:q1", "s:half an ans", "u:q2", "a:r2") == [
        ("user", "q1"),
        ("assistant", "half an ans"),
        ("user", "q2"),
        ("assistant", "r2"),
    ]
    assert _sent("u:q1", "s:", "u:q2", "a:r2") == [("user", "q2"), ("assistant", "r2")]


@pytest.mark.parametrize(
    "spec",
    [
        ("a:hello first", "u:q", "a:r"),
        ("u:q1", "u:q2", "a:r"),
        ("u:q1", "a:r1", "a:r1b", "u:q2"),
        ("u:q", "e:x", "e:y", "s:", "u:q3", "a:r3", "u:dangling"),
    ],
)
def test_roles_alternate_from_a_user_turn_and_end_with_a_reply(spec: tuple[str, ...]) -> None:
    sent = _sent(*spec)
    assert [r for r, _ in sent] == ["user", "assistant"] * (len(sent) // 2)


@given(st.lists(st.sampled_from(["u:q", "a:r", "e:err", "s:part", "s:"]), max_size=30))
def test_whatever_happened_what_is_sent_alternates_and_keeps_every_answered_prompt(
    spec: list[str],
) -> None:
    turns = _turns(*spec)
    sent = history_for_model(turns)
    assert [m.role for m in sent] == ["user", "assistant"] * (len(sent) // 2)
    assert not any(m.error or (m.stopped and not m.text) for m in sent)

    def answer(m: Message) -> bool:
        return m.role == "assistant" and not m.error and not (m.stopped and not m.text)

    for i in range(len(turns) - 1):
        q, a = turns[i], turns[i + 1]
        last = i + 2 == len(turns) or turns[i + 2].role == "user"
        if q.role == "user" and answer(a) and last:  # a prompt and its one answer
            assert any(m is q for m in sent) and any(m is a for m in sent)


def test_title_of_a_first_prompt() -> None:
    assert title_of("\n  What is a monad?\nmore") == "What is a monad?"
    long = "word " * 40
    t = title_of(long)
    assert len(t) <= 60 and t.endswith("\u2026") and t.startswith("word word")


@pytest.mark.parametrize(
    ("prompt", "title"),
    [
        ("Write **bold**, *italic* and `code`.", "Write bold, italic and code."),
        ("## Plan for _today_", "Plan for today"),
        ("- buy ~~milk~~ bread", "buy milk bread"),
        ("snake_case_name and 2 * 3 * 4", "snake_case_name and 2 * 3 * 4"),
        ("**", "**"),
    ],
)
def test_a_title_shows_no_markdown_marks(prompt: str, title: str) -> None:
    assert title_of(prompt) == title


# -- conversations --------------------------------------------------------------------------


def _chat_with(name: str, *texts: str) -> ChatSession:
    chat = ChatSession()
    chat.new(name)
    with chat.lock:
        for i, text in enumerate(texts):
            chat.discussion.messages.append(Message("user" if i % 2 == 0 else "assistant", text))
        if texts:
            chat.discussion.title = title_of(texts[0])
        chat._save()
    return chat


def test_new_open_rename_and_the_list_newest_first(sloppy_home: Path) -> None:
    chat = _chat_with("one", "first question", "answer")
    chat.new("two")
    with chat.lock:
        chat.discussion.messages.append(Message("user", "second question"))
        chat.discussion.title = "second question"
        chat._save()
    names = [s.name for s in chat.conversations()]
    assert names == ["two", "one"]
    assert chat.open("one") is None and chat.current_name == "one"
    assert [m.text for m in chat.messages()] == ["first question", "answer"]
    chat.rename("Renamed")
    assert {s.name: s.title for s in chat.conversations()}["one"] == "Renamed"
    assert ChatSession().open("one") is None  # a restart finds the title
    assert discussions.load("one")[0].title == "Renamed"  # type: ignore[union-attr]
    assert chat.open("nope") is not None and chat.current_name == "one"


def test_a_new_conversation_is_listed_before_it_is_saved(sloppy_home: Path) -> None:
    chat = _chat_with("old", "q")
    name = chat.new()
    assert chat.conversations()[0].name == name
    assert not discussions.exists(name)


def test_search_titles_and_text_any_case(sloppy_home: Path) -> None:
    chat = _chat_with("a", "Tell me about Python", "It is a snake and a LANGUAGE")
    _chat_with("b", "Rust borrow checker", "ownership")
    assert [s.name for s in chat.conversations("language")] == ["a"]
    assert [s.name for s in chat.conversations("RUST")] == ["b"]
    assert chat.conversations("nothing like it") == []


def test_an_old_file_gets_a_title_from_its_first_prompt_and_its_stop_mark_becomes_a_flag(
    sloppy_home: Path,
) -> None:
    path = discussions.file_of("legacy")
    path.parent.mkdir(parents=True)
    doc = {
        "schema": 1,
        "name": "legacy",
        "system": "You are a helpful assistant.",
        "messages": [
            {"role": "user", "text": "How do tides work?", "at": 10.0},
            {"role": "assistant", "text": "The moon\n\n*(stopped)*", "at": 11.0},
        ],
    }
    path.write_text(json.dumps(doc))
    found, problem = discussions.load("legacy")
    assert problem is None and found is not None
    assert found.title == "How do tides work?" and found.updated_at == 11.0
    assert found.messages[1].text == "The moon" and found.messages[1].stopped
    [summary] = discussions.listing()
    assert summary == ("legacy", "How do tides work?", 11.0, 2)


def test_a_bad_file_in_the_list_is_set_aside_and_skipped(
    sloppy_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _chat_with("good", "q")
    discussions.file_of("bad").write_text("{not json")
    assert [s.name for s in discussions.listing()] == ["good"]
    assert len(list(discussions.directory().glob("bad.json.bad-*"))) == 1
    assert len([r for r in caplog.records if "bad.json" in r.getMessage()]) == 1


# -- delete, clear, undo --------------------------------------------------------------------


def test_delete_moves_to_the_trash_and_undo_brings_it_back(sloppy_home: Path) -> None:
    chat = _chat_with("keep", "precious", "words")
    undo = chat.delete("keep")
    assert undo is not None and undo.text == "Deleted 'precious'"
    assert not discussions.exists("keep") and chat.current_name != "keep"
    assert [t.title for t in trash.items()] == ["precious"]
    assert "keep" not in [s.name for s in chat.conversations()]
    assert chat.undo(undo)
    assert chat.current_name == "keep"
    assert [m.text for m in chat.messages()] == ["precious", "words"]
    assert trash.items() == []
    assert not chat.undo(undo)  # once


def test_clear_is_undoable_and_the_empty_one_keeps_title_and_system(sloppy_home: Path) -> None:
    chat = _chat_with("c", "question", "answer")
    chat.set_system("Be brief.")
    undo = chat.clear()
    assert undo is not None and undo.text == "Cleared 'question'"
    assert chat.messages() == [] and chat.discussion.title == "question"
    assert chat.discussion.system == "Be brief." and chat.current_name != "c"
    assert not discussions.exists("c")
    assert chat.undo(undo)
    assert chat.current_name == "c" and [m.text for m in chat.messages()] == ["question", "answer"]
    assert chat.clear() is not None and ChatSession().clear() is None  # nothing to clear


def test_undo_after_a_restart_finds_the_trash(sloppy_home: Path) -> None:
    chat = _chat_with("r", "q", "a")
    chat.delete("r")
    [item] = trash.items()  # a new process reads the trash from disk
    assert item.origin == discussions.file_of("r") and item.title == "q"
    trash.restore(item)
    assert discussions.load("r")[0] is not None


def test_undo_merges_when_the_name_was_taken_meanwhile(sloppy_home: Path) -> None:
    chat = _chat_with("m", "q", "a")
    undo = chat.delete("m")
    assert undo is not None
    # Another instance, still holding "m", saves a new message under its name.
    discussions.save(Discussion(name="m", messages=[Message("user", "from the other one")]))
    assert chat.undo(undo)
    assert [m.text for m in chat.messages()] == ["q", "a", "from the other one"]
    assert [p.name for p in discussions.directory().glob("*.json")] == ["m.json"]


def test_a_reply_arriving_after_delete_does_not_bring_the_file_back(sloppy_home: Path) -> None:
    chat = _chat_with("late", "q")
    d = chat.discussion
    chat.delete("late")
    with chat.lock:
        d.messages.append(Message("assistant", "late reply"))
        chat._save_discussion(d)
    assert not discussions.exists("late")


def test_a_deleted_name_opened_again_is_saved_again(sloppy_home: Path) -> None:
    chat = _chat_with("again", "q")
    chat.delete("again")
    # Another instance, still holding it, saves it back; this one opens it and goes on.
    discussions.save(Discussion(name="again", messages=[Message("user", "kept alive")]))
    assert chat.open("again") is None
    with chat.lock:
        chat.discussion.messages.append(Message("assistant", "and saved"))
        chat._save()
    texts = [m.text for m in discussions.load("again")[0].messages]  # type: ignore[union-attr]
    assert texts == ["kept alive", "and saved"]


def test_a_message_taken_back_stays_gone_after_a_merge(sloppy_home: Path) -> None:
    """Retry, regenerate and edit take messages back: another instance's copy of them (or the
    file) must not bring them back (dropped ids)."""
    chat = _chat_with("t", "q", "old reply")
    stale = Discussion(name="t", messages=chat.messages())
    with chat.lock:
        chat._drop(chat.discussion, 1)
        chat._save()
    assert [m.text for m in discussions.load("t")[0].messages] == ["q"]  # type: ignore[union-attr]
    assert [m.text for m in discussions.save(stale).messages] == ["q"]
