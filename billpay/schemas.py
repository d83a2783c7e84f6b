"""Marshmallow fields shared by the domain schemas: money as Decimal strings,
Thai ID with its checksum, trimmed bounded text. Messages are Thai."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields

from billpay.codes import CodeError, validate_thai_id
from billpay.money import AmountError, parse_amount

THAI_MESSAGES = {
    "required": "กรุณากรอกข้อมูลนี้",
    "null": "กรุณากรอกข้อมูลนี้",
}


class Money(fields.Field):
    """Baht: accepts "1,234.50", "1234.5", 1234 or a JSON number parsed as Decimal;
    refuses negatives and more than 2 decimal places. Dumps as a string "1234.50"."""

    default_error_messages = {"invalid": "จำนวนเงินไม่ถูกต้อง", **THAI_MESSAGES}

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool | float):
            raise self.make_error("invalid")
        try:
            return parse_amount(value, allow_zero=True)
        except (AmountError, TypeError) as exc:
            raise ValidationError(str(exc) or "จำนวนเงินไม่ถูกต้อง") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:.2f}"


class Text(fields.String):
    """A trimmed string with a maximum length; blank counts as missing."""

    def __init__(self, max_length: int, **kwargs):
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"] = {**THAI_MESSAGES, "invalid": "ต้องเป็นข้อความ",
                                    **kwargs["error_messages"]}
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > self.max_length:
            raise ValidationError(f"ยาวได้ไม่เกิน {self.max_length} ตัวอักษร")
        if not text:
            if self.required:
                raise self.make_error("required")
            return None
        return text


class ThaiId(fields.String):
    """A 13-digit Thai ID (citizen or tax) with a valid checksum."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).replace("-", "").replace(" ", "")
        if not text:
            return None
        try:
            return validate_thai_id(text)
        except CodeError as exc:
            raise ValidationError(str(exc)) from None


class BaseSchema(Schema):
    """Unknown fields are refused, so a typo in a field name is not silently ignored."""

    class Meta:
        ordered = True
