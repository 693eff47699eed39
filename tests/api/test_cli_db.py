"""``jingwang db`` against the test database (an external URL, as a server would have)."""

import json

from alembic.script import ScriptDirectory

from api.db import alembic_config

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_db_status_json_is_one_document(runner):
    result = runner.invoke("db", "status", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["embedded"] is False
    assert doc["revision"] == HEAD
    assert doc["postgis"].startswith("3.")


def test_db_upgrade_is_idempotent(runner):
    first = runner.invoke("db", "upgrade")
    second = runner.invoke("db", "upgrade")
    assert first.exit_code == second.exit_code == 0
    assert f"revision {HEAD}" in second.stderr


def test_external_server_is_not_started_or_stopped(runner):
    result = runner.invoke("db", "stop")
    assert result.exit_code == 1
    assert "JINGWANG_DATABASE_URL is set" in result.stderr
