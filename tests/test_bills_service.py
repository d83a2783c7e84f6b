"""Issuing and cancelling bills through the service layer."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billpay.accounts.models import Role
from billpay.accounts.permissions import Actor
from billpay.bills import services as bills
from billpay.bills.models import Bill, BillStatus, FeeType
from billpay.codes import parse_qr_payload, parse_ref1
from billpay.errors import Conflict, Forbidden, Invalid, NotFound

CONFIG = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                         "off_budget": "099999999999100"})
SPLIT = bills.BillingConfig(biller_ids={"state": "099999999999100",
                                        "off_budget": "099999999999101"})


def at(text: str):
    return lambda: datetime.fromisoformat(text).astimezone(UTC)


def new_bill(*items, **kwargs) -> bills.NewBill:
    return bills.NewBill(payer_name=kwargs.pop("payer_name", "นางสาวทดสอบ ใจดี"),
                         items=[bills.NewBillItem(*i) for i in items] or
                         [bills.NewBillItem("FA01")], **kwargs)


def bill_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Bill))


def test_issue_prices_items_from_the_catalogue(db, clerk_actor):
    bill = bills.issue_bill(db, clerk_actor, new_bill(("FA01", 2), ("HT01", 1, Decimal("1234.50"))),
                            CONFIG, clock=at("2026-11-22T10:00:00+07:00"))
    assert [i.amount for i in bill.items] == [Decimal("200.00"), Decimal("1234.50")]
    assert bill.total == Decimal("1434.50")
    assert bill.status == BillStatus.ISSUED
    assert bill.office.code == "5001"
    assert bill.due_date == date(2026, 12, 22)  # 30 days, counted in Bangkok
    assert bill.ref2 == "691222"
    ref = parse_ref1(bill.ref1)
    assert (ref.mode, ref.office_code, ref.fiscal_year_yy) == (1, "5001", 70)
    assert [(e.from_status, e.to_status) for e in bill.events] == [(None, "issued")]
    assert bill.created_by_id == clerk_actor.user_id


def test_ref1_numbers_run_per_office_and_fiscal_year(db, clerk_actor, make_user):
    first = bills.issue_bill(db, clerk_actor, new_bill(), CONFIG,
                             clock=at("2026-09-30T23:59:59+07:00"))
    second = bills.issue_bill(db, clerk_actor, new_bill(), CONFIG,
                              clock=at("2026-10-01T00:00:00+07:00"))
    third = bills.issue_bill(db, clerk_actor, new_bill(), CONFIG,
                             clock=at("2026-10-01T08:00:00+07:00"))
    other = Actor.for_user(make_user(Role.CLERK, "5002"))
    elsewhere = bills.issue_bill(db, other, new_bill(), CONFIG,
                                 clock=at("2026-10-01T08:00:00+07:00"))
    assert (first.fiscal_year, second.fiscal_year) == (2569, 2570)
    assert (first.running, second.running, third.running, elsewhere.running) == (1, 1, 2, 1)
    assert len({first.ref1, second.ref1, third.ref1, elsewhere.ref1}) == 4


def test_codes_carry_biller_refs_and_amount(db, clerk_actor):
    bill = bills.issue_bill(db, clerk_actor, new_bill(("HT01", 1, Decimal("3649.22"))), CONFIG)
    codes = bills.bill_codes(bill)
    assert codes.barcode_data == f"|099999999999100\r{bill.ref1}\r{bill.ref2}\r364922"
    qr = parse_qr_payload(codes.qr_payload)
    assert (qr.biller_id, qr.ref1, qr.ref2, qr.amount, qr.dynamic) == (
        "099999999999100", bill.ref1, bill.ref2, Decimal("3649.22"), True)


@pytest.mark.parametrize("items, field, message", [
    ((("NOPE", 1),), "fee_type", "ไม่พบประเภทค่าธรรมเนียม"),
    ((("HT01", 1),), "amount", "กรุณาระบุจำนวนเงิน"),
    ((("HT01", 1, Decimal("0")),), "amount", "มากกว่าศูนย์"),
    ((("FA01", 1, Decimal("99.00")),), "amount", "กำหนดไว้ 100.00"),
])
def test_bad_items_are_refused_and_nothing_is_stored(db, clerk_actor, items, field, message):
    before = bill_count(db)
    with pytest.raises(Invalid) as caught:
        bills.issue_bill(db, clerk_actor, new_bill(*items), CONFIG)
    assert message in caught.value.errors["items"]["0"][field][0]
    assert bill_count(db) == before


def test_inactive_fee_type_is_refused(db, clerk_actor):
    db.scalar(select(FeeType).where(FeeType.code == "AN01")).active = False
    with pytest.raises(Invalid) as caught:
        bills.issue_bill(db, clerk_actor, new_bill(("AN01", 1)), CONFIG)
    assert "ปิดการใช้งาน" in caught.value.errors["items"]["0"]["fee_type"][0]


def test_revenue_types_with_different_accounts_need_separate_bills(db, clerk_actor):
    with pytest.raises(Invalid, match="คนละใบ"):
        bills.issue_bill(db, clerk_actor, new_bill(("FA01", 1), ("CP01", 3)), SPLIT)
    same_account = bills.issue_bill(db, clerk_actor, new_bill(("FA01", 1), ("CP01", 3)), CONFIG)
    assert same_account.total == Decimal("115.00")


def test_cannot_issue_for_another_office(db, clerk_actor):
    with pytest.raises(Invalid) as caught:
        bills.issue_bill(db, clerk_actor, new_bill(office_code="5002"), CONFIG)
    assert "office_code" in caught.value.errors


def test_due_date_in_the_past_is_refused(db, clerk_actor):
    with pytest.raises(Invalid) as caught:
        bills.issue_bill(db, clerk_actor, new_bill(due_date=date(2026, 11, 21)), CONFIG,
                         clock=at("2026-11-22T09:00:00+07:00"))
    assert "due_date" in caught.value.errors


def test_roles_without_issue_permission_are_forbidden(db, make_user):
    finance = Actor.for_user(make_user(Role.FINANCE, "00"))
    with pytest.raises(Forbidden):
        bills.issue_bill(db, finance, new_bill(), CONFIG)


def test_cancel_needs_a_reason_and_records_who(db, clerk_actor):
    bill = bills.issue_bill(db, clerk_actor, new_bill(), CONFIG)
    with pytest.raises(Invalid):
        bills.cancel_bill(db, clerk_actor, bill.ref1, "   ")
    assert bill.status == BillStatus.ISSUED
    bills.cancel_bill(db, clerk_actor, bill.ref1, "ผู้ชำระขอยกเลิก")
    assert bill.status == BillStatus.CANCELLED
    assert bill.cancel_reason == "ผู้ชำระขอยกเลิก"
    assert bill.cancelled_by_id == clerk_actor.user_id
    assert bill.events[-1].to_status == "cancelled"
    with pytest.raises(Conflict):
        bills.cancel_bill(db, clerk_actor, bill.ref1, "อีกครั้ง")


def test_scope_district_province_national(db, clerk_actor, make_user):
    bill = bills.issue_bill(db, clerk_actor, new_bill(), CONFIG)
    neighbour = Actor.for_user(make_user(Role.CLERK, "5002"))
    province = Actor.for_user(make_user(Role.PROVINCIAL, "50"))
    other_province = Actor.for_user(make_user(Role.PROVINCIAL, "57"))
    auditor = Actor.for_user(make_user(Role.AUDITOR, "00"))
    with pytest.raises(NotFound):
        bills.get_bill(db, neighbour, bill.ref1)
    with pytest.raises(NotFound):
        bills.cancel_bill(db, neighbour, bill.ref1, "ไม่ใช่ของเรา")
    with pytest.raises(NotFound):
        bills.get_bill(db, other_province, bill.ref1)
    assert bills.get_bill(db, province, bill.ref1) is bill
    assert bills.get_bill(db, auditor, bill.ref1) is bill
    rows, total = bills.search_bills(db, neighbour, bills.BillQuery())
    assert bill not in rows


def test_ref1_lookup_tolerates_spaces_and_refuses_bad_check_digit(db, clerk_actor):
    bill = bills.issue_bill(db, clerk_actor, new_bill(), CONFIG)
    spaced = " ".join([bill.ref1[:5], bill.ref1[5:10], bill.ref1[10:]])
    assert bills.get_bill(db, clerk_actor, spaced) is bill
    wrong = bill.ref1[:-1] + str((int(bill.ref1[-1]) + 1) % 10)
    with pytest.raises(NotFound):
        bills.get_bill(db, clerk_actor, wrong)


def test_expire_overdue(db, clerk_actor):
    bill = bills.issue_bill(db, clerk_actor, new_bill(), CONFIG,
                            clock=at("2026-11-01T09:00:00+07:00"))
    assert bills.expire_overdue(db, today=bill.due_date) == 0
    assert bills.expire_overdue(db, today=bill.due_date + timedelta(days=1)) >= 1
    assert bill.status == BillStatus.EXPIRED


def test_search_by_name_id_and_status(db, clerk_actor):
    a = bills.issue_bill(db, clerk_actor, new_bill(payer_name="นายสมปอง ค้นเจอ",
                                                   payer_id="0105556012341"), CONFIG)
    bills.issue_bill(db, clerk_actor, new_bill(payer_name="นางมาลี อื่น"), CONFIG)
    for text in ("สมปอง", "0105556012341", a.ref1):
        rows, total = bills.search_bills(db, clerk_actor, bills.BillQuery(text=text))
        assert [r.ref1 for r in rows] == [a.ref1], text
    rows, _ = bills.search_bills(db, clerk_actor, bills.BillQuery(status="cancelled"))
    assert rows == []


def test_payer_id_checksum_is_checked_by_the_service_too(db, clerk_actor):
    with pytest.raises(Invalid) as caught:
        bills.issue_bill(db, clerk_actor, new_bill(payer_id="0105556012342"), CONFIG)
    assert "payer_id" in caught.value.errors


def test_a_returning_payer_is_found_by_id_from_the_newest_bill_of_the_office(db, clerk_actor,
                                                                             make_user):
    payer = "0105556012341"
    bills.issue_bill(db, clerk_actor, new_bill(payer_name="บริษัท เดิม จำกัด", payer_id=payer,
                                               payer_address="1 ถนนเก่า", payer_phone="053111111"),
                     CONFIG, clock=at("2026-11-02T09:00:00+07:00"))
    newest = bills.issue_bill(db, clerk_actor, new_bill(
        payer_name="บริษัท ใหม่ จำกัด", payer_id=payer, payer_address="99 ถนนใหม่"),
        CONFIG, clock=at("2026-11-20T09:00:00+07:00"))
    # another office's newer bill for the same payer is not this clerk's to see
    other = Actor.for_user(make_user(Role.CLERK, "5002"))
    bills.issue_bill(db, other, new_bill(payer_name="ชื่อของอำเภออื่น", payer_id=payer),
                     CONFIG, clock=at("2026-11-25T09:00:00+07:00"))

    found = bills.find_payer(db, clerk_actor, "0-1055-56012-34-1")
    assert (found.name, found.address, found.phone, found.last_ref1) == (
        "บริษัท ใหม่ จำกัด", "99 ถนนใหม่", None, newest.ref1)
    assert found.last_issued_at == newest.created_at
    assert bills.find_payer(db, clerk_actor, "1103700012346") is None  # valid, never seen
    assert bills.find_payer(db, other, payer).name == "ชื่อของอำเภออื่น"


@pytest.mark.parametrize("payer_id", ["", "12345", "0105556012342", "01055560123410"])
def test_finding_a_payer_needs_a_valid_id(db, clerk_actor, payer_id):
    with pytest.raises(Invalid) as caught:
        bills.find_payer(db, clerk_actor, payer_id)
    assert "payer_id" in caught.value.errors


def test_only_a_role_that_issues_bills_looks_payers_up(db, make_user):
    executive = Actor.for_user(make_user(Role.EXECUTIVE, "00"))
    with pytest.raises(Forbidden):
        bills.find_payer(db, executive, "0105556012341")
