"""The audit log: hash chain, append-only in the database, ``billpay audit verify``
finding edited and deleted rows even with the triggers gone, the auditors' page and
its exports, and concurrent appends."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from billpay.audit.services import entry_hash, record, verify_chain
from billpay.db import get_database
from tests.accounts.helpers import sign_in
from tests.support import drop_postgres_database, fresh_database_url, make_app, prepare_database


def add_rows(db, actor, count=5):
    return [record(db, actor, "test.event", object_type="thing", object_id=i,
                   before={"n": i}, after={"n": i + 1, "note": "ทดสอบ"}) for i in range(count)]


def drop_guards(db) -> None:
    """What someone with the database's owner rights could do: switch the triggers off
    (inside the test's transaction, so it comes back afterwards)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER audit_log_no_update"))
        db.execute(text("DROP TRIGGER audit_log_no_delete"))


@pytest.fixture
def clerk_actor_5001(make_user):
    return Actor.for_user(make_user(Role.CLERK, "5001", username="auditee"))


def test_rows_chain_onto_each_other(db, clerk_actor_5001):
    rows = add_rows(db, clerk_actor_5001, 3)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.seq == before.seq + 1 and after.prev_hash == before.hash
    assert rows[0].office_code == "5001" and rows[0].actor_role == "clerk"
    head = db.get(AuditHead, 1)
    assert (head.last_seq, head.last_hash) == (rows[-1].seq, rows[-1].hash)
    fields = {name: getattr(rows[1], name) for name in (
        "seq", "at", "actor_user_id", "actor_token_id", "actor_name", "actor_role", "office_id",
        "office_code", "action", "object_type", "object_id", "before", "after", "ip",
        "request_id")}
    assert entry_hash(rows[0].hash, fields) == rows[1].hash
    assert verify_chain(db).ok


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'nothing.happened'",
    "DELETE FROM audit_log",
])
def test_the_database_refuses_updates_and_deletes(db, clerk_actor_5001, statement):
    add_rows(db, clerk_actor_5001, 1)
    with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
        db.execute(text(statement))


def test_postgresql_refuses_truncate(db, clerk_actor_5001):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
        db.execute(text("TRUNCATE audit_log"))


def test_verify_finds_an_edited_row_and_the_cli_names_it(app, db, clerk_actor_5001):
    rows = add_rows(db, clerk_actor_5001, 5)
    runner = app.test_cli_runner()
    good = runner.invoke(args=["audit", "verify"])
    assert good.exit_code == 0 and "intact" in good.output
    drop_guards(db)
    victim = rows[2]
    db.execute(text("UPDATE audit_log SET after = :a WHERE id = :i"),
               {"a": '{"n":999}', "i": victim.id})
    report = verify_chain(db)
    assert (report.kind, report.bad_seq, report.bad_id) == ("edited", victim.seq, victim.id)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"row seq {victim.seq} (id {victim.id}) was edited" in result.output
    assert f"แถวลำดับที่ {victim.seq} ถูกแก้ไข" in result.output


def test_verify_finds_an_edited_row_whose_hash_was_recomputed(db, clerk_actor_5001):
    rows = add_rows(db, clerk_actor_5001, 4)
    drop_guards(db)
    victim = rows[1]
    fields = {name: getattr(victim, name) for name in (
        "seq", "at", "actor_user_id", "actor_token_id", "actor_name", "actor_role", "office_id",
        "office_code", "action", "object_type", "object_id", "before", "after", "ip",
        "request_id")}
    fields["after"] = '{"n":0}'
    db.execute(text("UPDATE audit_log SET after = :a, hash = :h WHERE id = :i"),
               {"a": fields["after"], "h": entry_hash(victim.prev_hash, fields), "i": victim.id})
    report = verify_chain(db)
    assert (report.kind, report.bad_seq) == ("relinked", victim.seq)


def test_verify_finds_a_deleted_row(db, clerk_actor_5001):
    rows = add_rows(db, clerk_actor_5001, 4)
    drop_guards(db)
    db.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": rows[1].id})
    report = verify_chain(db)
    assert (report.kind, report.bad_seq) == ("deleted", rows[1].seq)
    assert "missing (deleted)" in report.message


def test_verify_finds_deleted_newest_rows(db, clerk_actor_5001):
    rows = add_rows(db, clerk_actor_5001, 3)
    drop_guards(db)
    db.execute(text("DELETE FROM audit_log WHERE seq >= :s"), {"s": rows[1].seq})
    report = verify_chain(db)
    assert (report.kind, report.bad_seq) == ("head", rows[0].seq)


def test_audit_page_searches_and_exports(client, db, make_user, clerk_actor_5001):
    add_rows(db, clerk_actor_5001, 3)
    record(db, None, "login.failure", object_type="user", after={"username": "mallory"})
    auditor = make_user(Role.AUDITOR, "00", username="auditor1")
    sign_in(client, auditor)
    page = client.get("/audit?action=test.event").get_data(as_text=True)
    assert "พบ 3 รายการ" in page and "ทดสอบ" in page
    found = client.get("/audit?q=mallory").get_data(as_text=True)
    assert "พบ 1 รายการ" in found and "เข้าสู่ระบบไม่สำเร็จ" in found
    assert "พบ 0 รายการ" in client.get("/audit?date_from=01/01/2500&date_to=02/01/2500"
                                       ).get_data(as_text=True)
    assert "field-error" in client.get("/audit?date_from=31/02/2569").get_data(as_text=True)
    exported = client.get("/audit.csv?action=test.event").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert rows[0][:3] == ["ลำดับ", "เวลา (UTC)", "ผู้กระทำ"] and len(rows) == 4
    book = load_workbook(io.BytesIO(client.get("/audit.xlsx?action=test.").data))
    assert book.active.max_row == 4
    verify = client.get("/audit/verify")
    assert verify.status_code == 200 and "ครบถ้วน" in verify.get_data(as_text=True)
    exports = db.scalars(select(AuditEntry).where(AuditEntry.action == "audit.export")).all()
    assert [e.actor_user_id for e in exports] == [auditor.id, auditor.id]


def test_the_verify_page_shows_tampering(client, db, make_user, clerk_actor_5001):
    rows = add_rows(db, clerk_actor_5001, 2)
    drop_guards(db)
    db.execute(text("UPDATE audit_log SET actor_name = 'someone else' WHERE id = :i"),
               {"i": rows[0].id})
    sign_in(client, make_user(Role.FINANCE, "00", username="fin"))
    response = client.get("/audit/verify")
    assert response.status_code == 409
    assert f"แถวลำดับที่ {rows[0].seq} ถูกแก้ไข" in response.get_data(as_text=True)


def test_clerks_cannot_read_the_audit_log(client, clerk):
    sign_in(client, clerk)
    for path in ("/audit", "/audit.csv", "/audit.xlsx", "/audit/verify"):
        assert client.get(path).status_code == 403


def test_bills_issue_and_cancel_are_recorded(clerk_client, db):
    from tests.support import csrf_token
    from tests.test_pages import issue

    location = issue(clerk_client).headers["Location"]
    ref1 = location.split("/bills/")[1].split("?")[0]
    token = csrf_token(clerk_client, f"/bills/{ref1}/cancel")
    clerk_client.post(f"/bills/{ref1}/cancel", data={"reason": "พิมพ์ผิด", "csrf_token": token})
    rows = db.scalars(select(AuditEntry).where(AuditEntry.object_id == ref1)
                      .order_by(AuditEntry.seq)).all()
    assert [r.action for r in rows] == ["bill.issue", "bill.cancel"]
    assert '"total":"2600.50"' in rows[0].after and "พิมพ์ผิด" in rows[1].after


def test_foreign_office_access_is_404_and_recorded(client, db, make_user):
    from tests.support import csrf_token, login
    from tests.test_pages import issue

    login(client, make_user(Role.CLERK, "5001", username="c1").username)
    ref1 = issue(client).headers["Location"].split("/bills/")[1].split("?")[0]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/bills/new")})
    intruder = make_user(Role.CLERK, "5101", username="c2")
    login(client, intruder.username)
    assert client.get(f"/bills/{ref1}").status_code == 404
    denied = db.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert denied.actor_user_id == intruder.id and ref1 in denied.object_id


def test_concurrent_appends_make_one_chain(backend, tmp_path):
    """Writers in parallel threads, each in its own transaction on its own connection:
    every append waits for the head row, so no two rows share a predecessor."""
    url = fresh_database_url(backend, tmp_path, "auditrace")
    try:
        prepare_database(url)
        app = make_app(url)
        database = get_database(app)
        start = threading.Barrier(4)
        errors: list[BaseException] = []

        def writer(number: int) -> None:
            try:
                start.wait()
                for index in range(10):
                    with database.transaction() as db:
                        record(db, None, "race.write", object_id=f"{number}-{index}")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        with database.sessionmaker() as db:
            report = verify_chain(db)
            assert report.ok, report.message
            seqs = db.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)).all()
            assert seqs == list(range(1, len(seqs) + 1))
            assert len(db.scalars(select(AuditEntry).where(
                AuditEntry.action == "race.write")).all()) == 40
            assert len({row.prev_hash for row in db.scalars(select(AuditEntry))}) == len(seqs)
            assert seqs[0] == 1 and db.get(AuditEntry, 1).prev_hash == GENESIS_HASH
        database.engine.dispose()
    finally:
        if backend == "postgresql":
            drop_postgres_database(url.rsplit("/", 1)[1])
