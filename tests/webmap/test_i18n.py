"""Every label has its Chinese: the templates' and Python's ``_()`` and the scripts' ``JW.t()`` / ``N_()``."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from webmap.i18n import load_catalogue
from webmap.messages import JS_MESSAGES, extract_js_messages

WEBMAP = Path(__file__).resolve().parents[2] / "webmap"


def _server_messages() -> set[str]:
    found = extract_from_dir(
        str(WEBMAP),
        method_map=[("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {msg if isinstance(msg, str) else msg[0] for _file, _line, msg, _comments, _context in found}


def test_every_message_has_chinese():
    zh = load_catalogue("zh")
    ids = _server_messages() | set(JS_MESSAGES)
    assert len(ids) > 150
    missing = sorted(i for i in ids if zh.gettext(i) == i)
    assert not missing, f"no Chinese for: {missing}"


def test_placeholders_survive_translation():
    zh = load_catalogue("zh")
    for msgid in (*_server_messages(), *JS_MESSAGES):
        wanted = sorted(part for part in msgid.split("%(")[1:])
        got = sorted(part for part in zh.gettext(msgid).split("%(")[1:])
        assert [w.split(")")[0] for w in wanted] == [g.split(")")[0] for g in got], msgid


def test_script_messages_are_found(tmp_path):
    (tmp_path / "a.js").write_text('JW.t("Plain"); t("With \\"quote\\""); var x = N_("Later"); notat("x");')
    assert extract_js_messages(tmp_path) == ("Later", "Plain", 'With "quote"')
