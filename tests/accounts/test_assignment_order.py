"""The assignment order (คำสั่งมอบหมาย) PDF: the approved people of one province, their
office and role, drawn with shaped Thai; as the finance division prints it."""

from billpay.accounts.models import Role
from billpay.documents.assignment_pdf import AssignedUser, AssignmentOrder, render_assignment_order
from billpay.documents.fonts import private_code_point
from tests.accounts.helpers import sign_in
from tests.documents.pdfcheck import base_letters, pdf_text, rasterise


def order(count: int) -> AssignmentOrder:
    users = tuple(AssignedUser(full_name=f"นางสาวสมหญิง ใจดี {i}", position="เจ้าพนักงานปกครอง",
                               office_name="ที่ทำการปกครองอำเภอเมืองเชียงใหม่ จังหวัดเชียงใหม่",
                               role_label="เจ้าหน้าที่รับชำระเงิน", username=f"user{i:03d}")
                  for i in range(count))
    return AssignmentOrder(province_name="เชียงใหม่", date_text="23 พฤศจิกายน 2569",
                           year_text="2569", users=users)


def test_the_order_lists_everyone_over_as_many_pages_as_needed():
    pdf = render_assignment_order(order(45))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert all(f"user{i:03d}" in text for i in range(45))
    pages = rasterise(pdf, dpi=40)
    assert len(pages) >= 3
    assert f"หน้า 1/{len(pages)}" in text.replace("\n", " ")
    letters = base_letters(text)
    assert base_letters("คำสั่งกรมการปกครอง") in letters
    assert base_letters("ผู้อำนวยการกองคลัง") in letters
    # ที่ has its tone mark raised over the vowel: the font's shifted glyph is drawn
    assert private_code_point("Sarabun", "uni0E48.small") in text


def test_an_empty_province_still_prints_a_page_that_says_so():
    pdf = render_assignment_order(order(0))
    assert len(rasterise(pdf, dpi=30)) == 1
    assert base_letters("ยังไม่มีผู้ใช้ที่ได้รับอนุมัติ") in base_letters(pdf_text(pdf))


def test_finance_prints_the_order_of_a_province(client, db, make_user):
    make_user(Role.CLERK, "5001", username="cm-clerk", position="เจ้าพนักงานปกครอง")
    make_user(Role.PROVINCIAL, "50", username="cm-prov")
    make_user(Role.CLERK, "5101", username="lamphun-clerk")
    sign_in(client, make_user(Role.FINANCE, "00", username="fin"))
    listing = client.get("/accounts/assignment-orders").get_data(as_text=True)
    assert "/accounts/assignment-orders/50.pdf" in listing
    response = client.get("/accounts/assignment-orders/50.pdf?no=123/2569")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "cm-clerk" in text and "cm-prov" in text and "lamphun-clerk" not in text
    assert "123/2569" in text
    assert text.index("cm-prov") < text.index("cm-clerk")  # the provincial office first
    assert client.get("/accounts/assignment-orders/99.pdf").status_code == 404
