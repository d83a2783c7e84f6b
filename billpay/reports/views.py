"""Report pages (``/reports/…``), their exports (``/reports/<name>.csv|xlsx|pdf``) and
their JSON (``/api/v1/reports/<name>``). The same filters in the query string give the
same report in every form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import islice

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.views import MethodView

from billpay.accounts.permissions import Actor, Permission, ScopeLevel
from billpay.api.auth import current_actor
from billpay.api.views import ApiBlueprint
from billpay.db import session, utcnow
from billpay.errors import Invalid
from billpay.i18n import N_
from billpay.offices.models import Office, OfficeKind
from billpay.reports import charts, exports
from billpay.reports import services as reports
from billpay.reports.tables import Report
from billpay.thaidate import bangkok_date, fiscal_year
from billpay.web.helpers import date_arg, page_actor, requires

bp = Blueprint("reports", __name__)
PAGE_ROWS = 500  # rows of one table shown on a page; the exports have them all


@dataclass(frozen=True)
class Spec:
    slug: str
    title: str
    description: str
    fields: tuple[str, ...]
    build: Callable[..., Report]
    permission: Permission = Permission.REPORT_READ


def _today() -> date:
    return bangkok_date(utcnow())


def _be(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def _scope(args, _errors) -> dict:
    return {"province_code": args.get("province", "").strip() or None,
            "office_code": args.get("office", "").strip() or None}


def _period(args, errors) -> dict:
    today = _today()
    date_from = date_arg(args, "from", errors) or today.replace(day=1)
    date_to = date_arg(args, "to", errors) or today
    return {"date_from": date_from, "date_to": date_to}


def _year(args, errors) -> int:
    text = args.get("fiscal_year", "").strip()
    if not text:
        return fiscal_year(_today())
    if not text.isdigit() or not 2500 <= int(text) <= 2700:
        errors["fiscal_year"] = "ปีงบประมาณต้องเป็นปี พ.ศ. 4 หลัก เช่น 2569"
        return fiscal_year(_today())
    return int(text)


def _build_daily(db, actor, args, errors, link):
    day = date_arg(args, "date", errors) or _today()
    return reports.daily_collection(db, actor, day=day,
                                    office_code=args.get("office", "").strip() or None)


def _build_remittance(db, actor, args, errors, link):
    group_by = args.get("group_by", "office")
    if group_by not in reports.GROUPINGS:
        errors["group_by"] = "เลือก ทั้งประเทศ จังหวัด หรือหน่วยงาน"
        group_by = "office"
    return reports.remittance(db, actor, **_period(args, errors), group_by=group_by,
                              by_day=args.get("by_day") in ("1", "on", "true"),
                              **_scope(args, errors))


def _build_statistics(db, actor, args, errors, link):
    return reports.statistics(db, actor, fiscal_year_=_year(args, errors), link=link,
                              **_scope(args, errors))


def _build_outstanding(db, actor, args, errors, link):
    return reports.outstanding(db, actor, as_of=date_arg(args, "as_of", errors) or _today(),
                               **_scope(args, errors))


def _build_exceptions(db, actor, args, errors, link):
    return reports.exceptions_by_age(db, actor,
                                     as_of=date_arg(args, "as_of", errors) or _today(),
                                     **_scope(args, errors))


def _build_cancellations(db, actor, args, errors, link):
    return reports.cancellations(db, actor, **_period(args, errors), **_scope(args, errors))


def _build_detail(db, actor, args, errors, link):
    return reports.collection_detail(db, actor, **_period(args, errors), **_scope(args, errors))


def _build_dashboard(db, actor, args, errors, link):
    return reports.dashboard(db, actor, today=date_arg(args, "as_of", errors) or _today(),
                             **_scope(args, errors))


SPECS = {spec.slug: spec for spec in (
    Spec("dashboard", N_("ภาพรวมสำหรับผู้บริหาร"),
         N_("ปีงบประมาณนี้ถึงวันนี้เทียบกับช่วงเดียวกันของปีก่อน แยกตามประเภทรายได้และภาค"),
         ("as_of", "province", "office"), _build_dashboard),
    Spec("daily", N_("รายงานการรับเงินประจำวัน"),
         N_("ใบแจ้ง ใบเสร็จ และยอดรับของหน่วยงานในวันเดียว พร้อมกระทบยอดกับธนาคาร"),
         ("date", "office"), _build_daily),
    Spec("remittance", N_("การนำส่งเงินตามประเภทรายได้"),
         N_("ยอดรับสุทธิรายได้แผ่นดินและเงินนอกงบประมาณ รายหน่วยงาน จังหวัด หรือทั้งประเทศ"),
         ("from", "to", "group_by", "by_day", "province", "office"), _build_remittance),
    Spec("statistics", N_("สถิติการจัดเก็บค่าธรรมเนียม"),
         N_("ประเภทค่าธรรมเนียม × เดือน ในปีงบประมาณ เจาะลึกจากประเทศ → จังหวัด → อำเภอ"),
         ("fiscal_year", "province", "office"), _build_statistics),
    Spec("outstanding", N_("ใบแจ้งค้างชำระและหมดอายุ"),
         N_("ใบแจ้งที่ยังไม่ได้รับชำระ แยกตามอายุที่เกินกำหนด"),
         ("as_of", "province", "office"), _build_outstanding),
    Spec("exceptions", N_("รายการผิดปกติแยกตามอายุ"),
         N_("รายการจากไฟล์ธนาคารที่ยังรอการจัดการ แยกตามสาเหตุและอายุ"),
         ("as_of", "province", "office"), _build_exceptions, Permission.SETTLEMENT_READ),
    Spec("cancellations", N_("การยกเลิกใบเสร็จรับเงิน"),
         N_("ใบเสร็จที่ยกเลิก แยกตามหน่วยงานและเหตุผล"),
         ("from", "to", "province", "office"), _build_cancellations, Permission.RECEIPT_READ),
    Spec("detail", N_("รายละเอียดการรับเงิน"),
         N_("ทุกรายการรับชำระในช่วงวันที่ พร้อมเลขที่ใบเสร็จ (ดาวน์โหลดได้ไม่จำกัดจำนวนแถว)"),
         ("from", "to", "province", "office"), _build_detail),
)}


def _spec(slug: str, actor: Actor) -> Spec:
    spec = SPECS.get(slug)
    if spec is None:
        abort(404)
    actor.require(Permission.REPORT_READ)
    actor.require(spec.permission)
    return spec


def _filters_of(args) -> dict[str, str]:
    return {k: v for k, v in args.items() if k in
            ("date", "from", "to", "fiscal_year", "as_of", "group_by", "by_day", "province",
             "office") and v}


def _run(slug: str, actor: Actor, args, *, link=None) -> tuple[Spec, Report | None, dict]:
    spec = _spec(slug, actor)
    errors: dict[str, str] = {}
    report = spec.build(session(), actor, args, errors, link)
    return spec, report, errors


def _visible(spec: Spec, actor: Actor) -> bool:
    return actor.can(Permission.REPORT_READ) and actor.can(spec.permission)


# -- pages -----------------------------------------------------------------------------

@bp.get("/reports/")
@requires(Permission.REPORT_READ)
def index():
    actor = page_actor()
    return render_template("reports/index.html",
                           specs=[s for s in SPECS.values() if _visible(s, actor)])


def _scope_choices(actor: Actor) -> tuple[list[Office], list[Office]]:
    """Provinces and offices the actor may pick in the filters (an office-level user has
    no choice to make)."""
    from sqlalchemy import select

    db = session()
    if actor.scope is ScopeLevel.NATIONAL:  # 954 offices: typed as a code, not listed
        provinces = db.scalars(select(Office).where(Office.kind == OfficeKind.PROVINCE)
                               .order_by(Office.code)).all()
        offices = []
    elif actor.scope is ScopeLevel.PROVINCE:
        provinces = []
        offices = db.scalars(select(Office).where(Office.province_code == actor.province_code)
                             .order_by(Office.code)).all()
    else:
        provinces, offices = [], []
    return list(provinces), list(offices)


@bp.get("/reports/<slug>")
@requires(Permission.REPORT_READ)
def show(slug: str):
    actor = page_actor()
    filters = _filters_of(request.args)

    def link(**scope) -> str:
        args = {k: v for k, v in filters.items() if k not in ("province", "office")}
        args.update({"province" if k == "province_code" else "office": v
                     for k, v in scope.items() if v})
        return url_for("reports.show", slug=slug, **args)

    spec = _spec(slug, actor)
    status = 200
    try:
        _, report, errors = _run(slug, actor, request.args, link=link)
    except Invalid as exc:
        report, status = None, exc.code
        errors = {k: "; ".join(v) if isinstance(v, list) else str(v)
                  for k, v in (exc.errors or {}).items()} or {"_": exc.message}
    shown = []
    if report is not None:
        for table in report.tables:
            rows = list(islice(table.rows, PAGE_ROWS + 1))
            shown.append((table, rows[:PAGE_ROWS], len(rows) > PAGE_ROWS))
    provinces, offices = _scope_choices(actor)
    today = _today()
    defaults = {"date": _be(today), "as_of": _be(today), "from": _be(today.replace(day=1)),
                "to": _be(today), "fiscal_year": str(fiscal_year(today))}
    return render_template(
        "reports/report.html", spec=spec, report=report, tables=shown, errors=errors,
        filters=filters, defaults=defaults, provinces=provinces, offices=offices,
        page_rows=PAGE_ROWS,
        charts=[(c, charts.render(c)) for c in (report.charts if report else [])],
        display=exports.display), status


@bp.get("/reports/<slug>.<any(csv, xlsx, pdf):ext>")
@requires(Permission.REPORT_READ)
def export(slug: str, ext: str):
    actor = page_actor()
    _spec, report, errors = _run(slug, actor, request.args)
    if errors:
        raise Invalid("ตัวกรองรายงานไม่ถูกต้อง", {k: [v] for k, v in errors.items()})
    return _export_response(report, ext, actor)


def _export_response(report: Report, ext: str, actor: Actor) -> Response:
    now = utcnow()
    name = exports.filename(report, ext, bangkok_date(now))
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if ext == "csv":
        return Response(stream_with_context(exports.csv_chunks(report)),
                        mimetype=exports.MEDIA_TYPES["csv"], headers=disposition)
    if ext == "xlsx":
        body = exports.xlsx_bytes(report, printed_by=actor.name, printed_at=now)
        return Response(body, mimetype=exports.MEDIA_TYPES["xlsx"], headers=disposition)
    body = exports.pdf_bytes(report, agency_name=current_app.config["BILLPAY"]["AGENCY_NAME"],
                             printed_by=actor.name, printed_at=now)
    return Response(body, mimetype=exports.MEDIA_TYPES["pdf"],
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


# -- JSON ------------------------------------------------------------------------------

reports_blp = ApiBlueprint("api_reports", __name__, url_prefix="/api/v1/reports",
                           description="Reports and statistics (รายงานและสถิติ)")


@reports_blp.route("/<slug>")
class ReportJson(MethodView):
    @reports_blp.response(200)
    def get(self, slug):
        """One report as JSON: ``dashboard``, ``daily`` (``date``, ``office``),
        ``remittance`` (``from``, ``to``, ``group_by`` = nation | province | office,
        ``by_day``), ``statistics`` (``fiscal_year``), ``outstanding`` (``as_of``),
        ``exceptions`` (``as_of``), ``cancellations`` and ``detail`` (``from``, ``to``).
        Every report takes ``province`` and ``office`` codes within the caller's scope.
        Dates are Buddhist-era ``dd/mm/yyyy`` or ISO; amounts are strings (exact
        decimals)."""
        _spec, report, errors = _run(slug, current_actor(), request.args)
        if errors:
            raise Invalid("ตัวกรองรายงานไม่ถูกต้อง", {k: [v] for k, v in errors.items()})
        return exports.report_json(report)


@reports_blp.route("/<slug>.<any(csv, xlsx, pdf):ext>")
class ReportFile(MethodView):
    @reports_blp.response(200, content_type="application/octet-stream")
    def get(self, slug, ext):
        """The same report as a CSV, XLSX or PDF file."""
        actor = current_actor()
        _spec, report, errors = _run(slug, actor, request.args)
        if errors:
            raise Invalid("ตัวกรองรายงานไม่ถูกต้อง", {k: [v] for k, v in errors.items()})
        return _export_response(report, ext, actor)
