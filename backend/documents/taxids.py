"""Tax ID checks with python-stdnum (format and check digits; no online lookup)."""
from __future__ import annotations

from dataclasses import dataclass

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

# Our tax id types follow Stripe's vocabulary: "<country>_<kind>" (eu_vat, gb_vat, au_abn ...).
_KIND_MODULE = {"vat": "vat", "abn": "abn", "gst": "gst", "ein": "ein", "rfc": "rfc", "cnpj": "cnpj", "cpf": "cpf"}


@dataclass(frozen=True)
class CheckedTaxId:
    type: str
    value: str  # compact form when valid, as given otherwise
    country: str | None  # upper-case ISO country (EL for Greece, as VAT numbers spell it)
    valid: bool | None  # None: no checker for this type

    @property
    def is_eu_vat(self) -> bool:
        return bool(self.valid and self.type == "eu_vat")


def check_tax_id(type_: str, value: str, country: str | None = None) -> CheckedTaxId:
    """Validate a tax id of a known type; unknown types are kept but not marked valid."""
    type_ = (type_ or "").lower()
    if type_ == "eu_vat":
        return _check_eu_vat(value)
    module = _module_for(type_, country)
    if module is None:
        return CheckedTaxId(type_, value, (country or "").upper() or None, None)
    try:
        return CheckedTaxId(type_, module.validate(value), (country or type_.split("_")[0]).upper(), True)
    except ValidationError:
        return CheckedTaxId(type_, value, (country or type_.split("_")[0]).upper(), False)


def _check_eu_vat(value: str) -> CheckedTaxId:
    try:
        compact = eu_vat.validate(value)
    except ValidationError:
        return CheckedTaxId("eu_vat", value, _prefix(value), False)
    return CheckedTaxId("eu_vat", compact, compact[:2].upper(), True)


def _prefix(value: str) -> str | None:
    head = (value or "").strip()[:2].upper()
    return head if head.isalpha() else None


def _module_for(type_: str, country: str | None):
    cc, _, kind = type_.partition("_")
    name = _KIND_MODULE.get(kind)
    if not name or len(cc) != 2:
        return None
    try:
        return get_cc_module((country or cc).lower(), name)
    except (ImportError, ValueError):
        return None


def seller_vat_country(seller_tax_id: str | None) -> str | None:
    """The EU member state of the seller's VAT number, when it is a valid one."""
    if not seller_tax_id:
        return None
    checked = _check_eu_vat(seller_tax_id)
    return checked.country if checked.valid else None
