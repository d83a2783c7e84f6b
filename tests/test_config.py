import pytest

from billpay.app import create_app
from billpay.config import DEFAULT_SECRET_KEY, ConfigError, load_config


def test_environment_overrides_defaults():
    config = load_config(environ={"BILLPAY_BILL_DUE_DAYS": "15", "BILLPAY_SQL_ECHO": "yes"})
    assert config["BILL_DUE_DAYS"] == 15
    assert config["SQL_ECHO"] is True
    assert config["TIMEZONE"] == "Asia/Bangkok"


def test_production_refuses_the_default_secret(tmp_path):
    with pytest.raises(ConfigError, match="BILLPAY_SECRET_KEY"):
        create_app({"ENV": "production", "SECRET_KEY": DEFAULT_SECRET_KEY,
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_production_starts_with_a_real_secret(tmp_path):
    app = create_app({"ENV": "production", "SECRET_KEY": "s" * 48,
                      "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_warns_of_per_process_state(tmp_path, caplog):
    create_app({"ENV": "production", "SECRET_KEY": "s" * 48,
                "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "BILLPAY_DATABASE_URL=postgresql" in warned
    assert "BILLPAY_RATELIMIT_STORAGE_URL=redis" in warned
    caplog.clear()
    create_app({"ENV": "production", "SECRET_KEY": "s" * 48,
                "DATABASE_URL": f"sqlite:///{tmp_path}/y.sqlite3",
                "RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/15"})
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "RATELIMIT" not in warned


def test_invalid_biller_id_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="biller ID"):
        create_app({"BILLER_ID": "099999999999990", "DATABASE_URL": f"sqlite:///{tmp_path}/x"})


def test_default_database_is_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BILLPAY_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("BILLPAY_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["BILLPAY"]["DATABASE_URL"] == f"sqlite:///{tmp_path}/billpay.sqlite3"
