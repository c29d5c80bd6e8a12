"""The provider table: one row is the only edit a provider needs, and nothing else lists them."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from sloppy_testkit.provider_stub import base_urls

from sloppy.providers import streams, table
from sloppy.warm import warmlist
from tests.support.interpreter import run_python

SRC = Path(table.__file__).resolve().parents[1]

# In a fresh interpreter: table.py with one more row appended to PROVIDER_TABLE (the only
# edit), then every consumer as it is imported normally.
ADD_A_ROW = r'''
import json, os, sys, types
from pathlib import Path

import sloppy.providers

path = Path(sloppy.providers.__file__).with_name("table.py")
src = path.read_text()
start = src.index("PROVIDER_TABLE: tuple[Provider, ...] = (\n")
end = src.index("\n)\n", start)
row = """
    Provider(
        id="acme",
        label="Acme Cloud",
        sdk="openai",
        default_model="acme-1",
        key_env=("ACME_API_KEY",),
        base_url_env="ACME_BASE_URL",
        chat_api="chat_completions",
        build=_openai_client,
        list_models=_model_ids,
    ),"""
mod = types.ModuleType("sloppy.providers.table")
mod.__file__ = str(path)
sys.modules["sloppy.providers.table"] = sloppy.providers.table = mod
exec(compile(src[:end] + row + src[end:], str(path), "exec"), mod.__dict__)

from sloppy.providers import client
from sloppy.hooks import routes
from sloppy.providers import keys
from sloppy.ui import provider_panel
from sloppy.warm import engine
from sloppy.app.controller import AppController
from sloppy.providers.chat import ChatSession

controller = AppController(warm_modules=["fastapi", "fastapi.security.api_key", "openai"])
assert controller.wait_for_warmup(120)
engine.activate(controller.warmup)
ai = client.AIClient(max_retries=0)
chat = ChatSession(ai)
schema = routes.build_app(controller, chat, "k" * 24, headless=True).openapi()


def enums(node):
    if isinstance(node, dict):
        if "provider" in node.get("properties", {}):
            yield node["properties"]["provider"].get("enum")
        for value in node.values():
            yield from enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from enums(value)


chat.select("acme")
print(json.dumps({
    "schema_enum": list(enums(schema)),
    "table_hook_ids": list(mod.HOOK_PROVIDERS),
    "panel": provider_panel.provider_choices(),
    "keys": keys.KeyStore(ai).status().get("acme"),
    "model": chat.settings.model,
    "reply": ai.send("acme", "acme-1", [], "hi").text,
}))
controller.shutdown()
'''


def test_a_new_row_reaches_the_schema_the_panel_the_keys_and_the_client(stub) -> None:
    env = {"ACME_API_KEY": "sk-acme-0123456789", "ACME_BASE_URL": base_urls(stub)["openai"]}
    out = json.loads(run_python(ADD_A_ROW, env=env, timeout=180).splitlines()[-1])
    hook_ids = [p.id for p in table.PROVIDER_TABLE if p.hook_api]
    assert out["table_hook_ids"] == [*hook_ids, "acme"]
    assert out["schema_enum"] == [out["table_hook_ids"]]
    assert out["panel"] == [*(p.label for p in table.PROVIDER_TABLE), "Acme Cloud"]
    assert out["keys"] == {"available": True, "source": "ACME_API_KEY"}
    assert out["model"] == "acme-1"
    assert out["reply"] == stub.reply("openai")


def _listed_ids(node: ast.AST, ids: set[str]) -> set[str]:
    """Provider ids spelled as elements of one literal: a tuple, list, set, dict or Literal."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        elts: list[ast.expr | None] = list(node.elts)
    elif isinstance(node, ast.Dict):
        elts = list(node.keys)
    else:
        return set()
    return {e.value for e in elts if isinstance(e, ast.Constant) and e.value in ids}


def test_nothing_else_in_src_lists_the_provider_ids() -> None:
    ids = set(table.PROVIDERS)
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = _listed_ids(node, ids)
            if len(named) >= 2:
                offenders.append(
                    f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)} {sorted(named)}"
                )
            # Per-provider branches belong in the table too (``if provider == "gemini"``).
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                if any(isinstance(s, ast.Constant) and s.value in ids for s in sides):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} compares an id")
    assert offenders == []


def test_the_scan_sees_a_list_of_ids() -> None:
    ids = set(table.PROVIDERS)
    tree = ast.parse('X = ("openai", "gemini")\nY = {"anthropic": 1, "gemini": 2}')
    found = [_listed_ids(n, ids) for n in ast.walk(tree)]
    assert {"openai", "gemini"} in found and {"anthropic", "gemini"} in found


def test_table_views_and_sdks() -> None:
    assert tuple(p.id for p in table.PROVIDER_TABLE) == table.PROVIDERS
    # Every provider's SDK is warm-listed with its distribution, each SDK once.
    sdks = {e.module for e in warmlist.SDKS}
    assert len(sdks) == len(warmlist.SDKS)
    assert {p.sdk for p in table.PROVIDER_TABLE} <= sdks
    assert all(p.chat_api in streams.STREAMERS for p in table.PROVIDER_TABLE)
    assert "sk-secret" not in repr(table.ClientOptions("sk-secret", None, 1.0, 0))
