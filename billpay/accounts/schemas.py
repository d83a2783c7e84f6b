"""Shapes of the registration form (Thai messages); the service checks the rest
(username and ID number not taken, the office, the password's strength)."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, post_load, validate

from billpay.accounts.services import Registration
from billpay.schemas import THAI_MESSAGES, BaseSchema, Text, ThaiId

THAI_LETTERS = re.compile(r"[\u0e01-\u0e2e]")
THAI_NAME = re.compile(r"^[\u0e00-\u0e7f .()\-]+$")
USERNAME = validate.Regexp(
    r"^[a-z0-9][a-z0-9._-]{2,31}$",
    error="ชื่อผู้ใช้ 3–32 ตัว ใช้ตัวอักษรภาษาอังกฤษตัวเล็ก ตัวเลข จุด ขีด หรือขีดล่าง ขึ้นต้นด้วยตัวอักษรหรือตัวเลข")
EMAIL = validate.Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", error="อีเมลไม่ถูกต้อง")
PHONE = validate.Regexp(r"^0[0-9]{8,9}$",
                        error="หมายเลขโทรศัพท์ต้องเป็นตัวเลข 9–10 หลัก ขึ้นต้นด้วย 0")
OFFICE_CODE = validate.Regexp(r"^\d{2}(\d{2})?$", error="กรุณาเลือกหน่วยงานที่สังกัด")


def _thai_name(value: str) -> None:
    if not THAI_NAME.match(value) or not THAI_LETTERS.search(value):
        raise ValidationError("กรุณากรอกชื่อ-สกุลเป็นภาษาไทย")
    if len(value.split()) < 2:
        raise ValidationError("กรุณากรอกทั้งชื่อและนามสกุล เว้นวรรคระหว่างกัน")


class Digits(Text):
    """Text with spaces and dashes removed (phone numbers, as people type them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = re.sub(r"[\s\-()]", "", value)
        return super()._deserialize(value, attr, data, **kwargs)


class Lower(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return text.lower() if text else text


class RegistrationIn(BaseSchema):
    full_name = Text(200, required=True, validate=_thai_name)
    position = Text(200, required=True)
    office_code = Text(4, required=True, validate=OFFICE_CODE,
                       error_messages={"required": "กรุณาเลือกหน่วยงานที่สังกัด"})
    citizen_id = ThaiId(required=True, error_messages=THAI_MESSAGES)
    email = Text(200, required=True, validate=EMAIL)
    phone = Digits(20, required=True, validate=PHONE)
    username = Lower(32, required=True, validate=USERNAME)
    password = fields.String(required=True, error_messages=THAI_MESSAGES,
                             validate=validate.Length(min=1, error="กรุณากรอกข้อมูลนี้"))
    password_confirm = fields.String(required=True, error_messages=THAI_MESSAGES)

    @post_load
    def make(self, data, **kwargs) -> Registration:
        if data["password"] != data.pop("password_confirm"):
            raise ValidationError("รหัสผ่านทั้งสองช่องไม่ตรงกัน", "password_confirm")
        return Registration(**data)
