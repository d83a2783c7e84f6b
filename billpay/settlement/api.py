"""``POST /api/v1/settlement-files``: a bank's settlement file sent by an import job.

The file comes as a multipart upload (field ``file``) or as the raw request body
(``Content-Type: application/octet-stream`` with its name in ``X-Filename``, which may
be percent-encoded UTF-8). It is imported in the request's transaction by the same
service as ``billpay settlement import``.

During a maintenance window (and afterwards, while files queued during it still wait,
so that files are imported in the order they arrived) a well-formed file is not
imported but queued: 202 Accepted with its queue id (``billpay.ops``).
"""

from __future__ import annotations

import shutil
import tempfile
from urllib.parse import unquote

from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from billpay.accounts.permissions import Permission
from billpay.api.auth import current_actor
from billpay.api.views import ApiBlueprint
from billpay.db import session, utcnow
from billpay.errors import Invalid
from billpay.settlement.parser import SettlementFileError, validate_settlement
from billpay.settlement.services import FileRefused, import_settlement_file

SPOOL_BYTES = 16 * 1024 * 1024  # a raw body larger than this is spooled to a temporary file

settlement_files_blp = ApiBlueprint(
    "api_settlement_files", __name__, url_prefix="/api/v1/settlement-files",
    description="Bank settlement files (ไฟล์สรุปรายการรับชำระเงินจากธนาคาร): 256-byte "
                "records, Thai Bankers' Association layout")


class ImportReportOut(Schema):
    """What one import did (amounts are strings with two decimals)."""

    filename = fields.String()
    sha256 = fields.String()
    status = fields.String(metadata={"enum": ["imported", "duplicate_file"]})
    file_id = fields.Integer(allow_none=True)
    batches = fields.Integer()
    lines = fields.Integer(metadata={"description": "detail lines (payments and reversals)"})
    matched = fields.Integer()
    matched_amount = fields.String()
    reversals = fields.Integer()
    reversal_amount = fields.String()
    exceptions = fields.Dict(keys=fields.String(), values=fields.Integer(),
                             metadata={"description": "exceptions by reason, e.g. unknown_ref1"})
    exception_count = fields.Integer()
    exception_amount = fields.String()
    duplicates = fields.Integer(metadata={"description": "lines already imported before"})
    duplicate_amount = fields.String()
    credit_amount = fields.String()
    debit_amount = fields.String()
    imported_at = fields.String(allow_none=True)
    message = fields.String(metadata={"description": "the result in Thai"})


class QueuedOut(Schema):
    """A file kept for import after the maintenance window."""

    queue_id = fields.Integer()
    status = fields.String(metadata={"enum": ["queued"]})
    filename = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    received_at = fields.String()
    message = fields.String(metadata={"description": "in Thai"})


REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["file"],
                       "properties": {"file": {"type": "string", "format": "binary"}}},
        },
        "application/octet-stream": {
            "schema": {"type": "string", "format": "binary"},
        },
    },
    "description": "The file as the bank sent it. With application/octet-stream, give its "
                   "name in the X-Filename header.",
}
X_FILENAME = {"name": "X-Filename", "in": "header", "required": False,
              "schema": {"type": "string"},
              "description": "the file's name, for a raw application/octet-stream body "
                             "(percent-encoded UTF-8 allowed)"}
REFUSED_EXAMPLE = {
    "code": 422, "status": "Unprocessable Entity",
    "message": "ไฟล์ ktb.txt บรรทัดที่ 3 ช่อง amount: ค่า '00000000X0000' ไม่ถูกต้อง "
               "(ต้องเป็นตัวเลข 13 หลัก (ทศนิยม 2 ตำแหน่ง))",
    "errors": {"file": ["ktb.txt line 3, field amount: '00000000X0000' is not 13 digits"],
               "line": 3, "field": "amount", "value": "00000000X0000"},
}


def _clean_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255]


def _uploaded_file():
    """The file's name and a seekable stream of its bytes."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("กรุณาแนบไฟล์ในช่อง file", {"file": ["กรุณาแนบไฟล์ธนาคาร"]})
        return _clean_name(upload.filename or "") or "upload.txt", upload.stream
    if request.mimetype == "application/octet-stream":
        name = _clean_name(unquote(request.headers.get("X-Filename", "")))
        if not name:
            raise Invalid("กรุณาระบุชื่อไฟล์ในส่วนหัว X-Filename",
                          {"X-Filename": ["กรุณาระบุชื่อไฟล์"]})
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        shutil.copyfileobj(request.stream, spool, 1 << 20)
        spool.seek(0)
        return name, spool
    abort(415, message="ส่งไฟล์แบบ multipart/form-data ในช่อง file หรือส่งเนื้อไฟล์ตรง ๆ แบบ "
                       "application/octet-stream พร้อมส่วนหัว X-Filename",
          errors={"Content-Type": [f"ไม่รองรับ {request.mimetype or '(ไม่ระบุ)'}"]})


@settlement_files_blp.route("")
class SettlementFiles(MethodView):
    @settlement_files_blp.doc(requestBody=REQUEST_BODY, parameters=[X_FILENAME])
    @settlement_files_blp.response(201, ImportReportOut,
                                   description="Imported: the report of what it did")
    @settlement_files_blp.alt_response(200, schema=ImportReportOut, success=True,
                                       description="Already imported (same SHA-256): status "
                                                   "duplicate_file, nothing recorded")
    @settlement_files_blp.alt_response(
        202, schema=QueuedOut, success=True,
        description="A maintenance window is on (or files queued during one still wait): "
                    "the file was checked and queued, and is imported after the window")
    @settlement_files_blp.alt_response(
        422, schema="Error", example=REFUSED_EXAMPLE,
        description="Refused as a whole, nothing recorded: errors names the file, line, "
                    "field and value")
    def post(self):
        """Import a bank settlement file (role import_job or finance).

        Each payment is matched to its bill or kept as an exception; reversals undo
        earlier payments; lines imported before are counted as duplicates.
        """
        actor = current_actor()
        actor.require(Permission.SETTLEMENT_IMPORT)  # before reading a large body
        filename, stream = _uploaded_file()
        db = session()
        try:
            from billpay.ops.web import maintenance

            state = maintenance()
            if state is not None and (state.current is not None or state.queued):
                return _queue(db, actor, stream, filename, state)
            report = import_settlement_file(db, actor, stream, filename, origin="api")
            db.commit()
        finally:
            stream.close()
        body = {**report.to_dict(), "message": report.message_th}
        return body, (201 if report.status == "imported" else 200)


def _queue(db, actor, stream, filename, state):
    """Check the whole file now (a bad one is refused at once, 422), then keep it."""
    from billpay.ops.services import queue_settlement_file
    from billpay.thaidate import thai_datetime

    try:
        validate_settlement(stream, filename)
    except SettlementFileError as exc:
        raise FileRefused(exc) from None
    stream.seek(0)
    row, _new = queue_settlement_file(db, actor, filename, stream.read(), origin="api",
                                      now=utcnow())
    db.commit()
    if state.current is not None:
        message = (f"ระบบปิดปรับปรุงถึง {thai_datetime(state.current.ends_at)} รับไฟล์ {row.filename} "
                   f"เข้าคิวแล้ว (ลำดับที่ {row.id}) จะนำเข้าเมื่อสิ้นสุดช่วงปิดปรับปรุง")
    else:
        message = (f"รับไฟล์ {row.filename} เข้าคิวแล้ว (ลำดับที่ {row.id}) จะนำเข้าต่อจากไฟล์ที่ได้รับ"
                   "ระหว่างช่วงปิดปรับปรุงตามลำดับ")
    body = {"queue_id": row.id, "status": "queued", "filename": row.filename,
            "sha256": row.sha256, "size": row.size, "received_at": row.received_at.isoformat(),
            "message": message}
    return jsonify(QueuedOut().dump(body)), 202  # a Response: not dumped as the 201 schema
