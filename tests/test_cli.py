"""The billpay command: users, tokens, seed, expire, and the demo set-up."""

import os
import subprocess
import sys

from sqlalchemy import select

from billpay.accounts.models import ApiToken, User


def test_users_create(app, db):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--username", "Somchai", "--full-name", "สมชาย ใจดี",
        "--role", "clerk", "--office", "5001", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "somchai"))
    assert user.office.code == "5001" and user.password_hash.startswith("$argon2")


def test_users_create_refuses_bad_input(app, db):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--username", "x", "--full-name", "x", "--role", "wizard",
        "--office", "9999", "--password", "short"])
    assert result.exit_code == 1
    assert "ไม่รู้จักบทบาท" in result.output and "รหัสผ่าน" in result.output


def test_tokens_create_prints_the_secret_once(app, db):
    result = app.test_cli_runner().invoke(args=[
        "tokens", "create", "--name", "ktb-import", "--role", "import_job"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("bp_") and len(secret) > 40
    token = db.scalar(select(ApiToken).where(ApiToken.name == "ktb-import"))
    assert token.role == "import_job" and secret not in token.token_hash


def test_seed_is_repeatable(app, db):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 updated, 955 in all" in result.output


def test_demo_sets_up_sqlite_and_prints_logins(tmp_path):
    env = {**os.environ, "BILLPAY_INSTANCE_PATH": str(tmp_path)}
    env.pop("BILLPAY_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "billpay", "demo", "--no-serve"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "login: clerk" in out.stdout and "password:" in out.stdout
    assert (tmp_path / "billpay.sqlite3").exists()
