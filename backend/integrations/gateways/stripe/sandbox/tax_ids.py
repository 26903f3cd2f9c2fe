"""Tax IDs on customers (nested and top-level routes), with Stripe's type list and value shapes."""
from __future__ import annotations

import re

from .customers import find_customer
from .errors import StripeApiError, not_found
from .forms import get_dict, get_enum, get_str
from .lists import list_response
from .routing import LIST_PARAMS, route
from .state import Call

# type -> (value pattern, country or None when it comes from the value's prefix)
TAX_ID_TYPES: dict[str, tuple[str, str | None]] = {
    "eu_vat": (r"(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[0-9A-Z+*]{2,13}", None),
    "gb_vat": (r"GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})", "GB"),
    "eu_oss_vat": (r"EU\d{9}", None),
    "au_abn": (r"\d{11}", "AU"), "au_arn": (r"\d{12}", "AU"),
    "us_ein": (r"\d{2}-?\d{7}", "US"),
    "ca_bn": (r"\d{9}", "CA"), "ca_gst_hst": (r"\d{9}RT\d{4}", "CA"), "ca_qst": (r"\d{10}TQ\d{4}", "CA"),
    "ch_vat": (r"CHE-?\d{3}\.?\d{3}\.?\d{3} ?(MWST|TVA|IVA)", "CH"), "ch_uid": (r"CHE-?\d{3}\.?\d{3}\.?\d{3}", "CH"),
    "no_vat": (r"\d{9}MVA", "NO"), "is_vat": (r"\d{5,6}", "IS"), "li_uid": (r"CHE\d{9}", "LI"),
    "in_gst": (r"\d{2}[A-Z]{5}\d{4}[A-Z][0-9A-Z]Z[0-9A-Z]", "IN"),
    "jp_cn": (r"\d{13}", "JP"), "jp_rn": (r"\d{5}", "JP"), "kr_brn": (r"\d{3}-?\d{2}-?\d{5}", "KR"),
    "br_cnpj": (r"\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}", "BR"), "br_cpf": (r"\d{3}\.?\d{3}\.?\d{3}-?\d{2}", "BR"),
    "mx_rfc": (r"[A-Z&Ñ]{3,4}\d{6}[A-Z0-9]{3}", "MX"), "nz_gst": (r"\d{2,3}-?\d{3}-?\d{3}", "NZ"),
    "za_vat": (r"4\d{9}", "ZA"), "sg_gst": (r"M\d{8}[A-Z]", "SG"), "sg_uen": (r"\d{8,9}[A-Z]|[RST]\d{2}[A-Z]{2}\d{4}[A-Z]", "SG"),
    "hk_br": (r"\d{8}", "HK"), "tw_vat": (r"\d{8}", "TW"), "th_vat": (r"\d{13}", "TH"),
    "my_sst": (r"[A-Z]\d{2}-?\d{4}-?\d{8}", "MY"), "ae_trn": (r"\d{15}", "AE"), "sa_vat": (r"3\d{14}", "SA"),
    "il_vat": (r"\d{9}", "IL"), "tr_tin": (r"\d{10}", "TR"), "ru_inn": (r"\d{10}|\d{12}", "RU"),
    "cl_tin": (r"\d{1,2}\.?\d{3}\.?\d{3}-?[\dK]", "CL"), "es_cif": (r"[A-Z]\d{7}[0-9A-Z]", "ES"),
    "id_npwp": (r"\d{2}\.?\d{3}\.?\d{3}\.?\d-?\d{3}\.?\d{3}|\d{16}", "ID"),
}


def _country(tax_type: str, value: str) -> str | None:
    fixed = TAX_ID_TYPES[tax_type][1]
    if fixed:
        return fixed
    if tax_type == "eu_vat":
        prefix = value[:2]
        return {"EL": "GR", "XI": "GB"}.get(prefix, prefix)
    return None


def validate(tax_type: str | None, value: str | None, param_prefix: str = "") -> tuple[str, str]:
    """Stripe's 400 `tax_id_invalid` for an unknown type or a value of the wrong shape."""
    prefix = param_prefix
    if not tax_type or tax_type not in TAX_ID_TYPES:
        raise StripeApiError(f"Invalid type: must be one of {', '.join(sorted(TAX_ID_TYPES))}",
                             code="tax_id_invalid", param=f"{prefix}[type]" if prefix else "type")
    normalized = (value or "").strip().upper()
    if not re.fullmatch(TAX_ID_TYPES[tax_type][0], normalized):
        raise StripeApiError(f"Invalid value for {tax_type}.", code="tax_id_invalid",
                             param=f"{prefix}[value]" if prefix else "value")
    return tax_type, normalized


def create_tax_id(call: Call, customer: dict | None, data: dict, *, param_prefix: str = "") -> dict:
    tax_type, value = validate(get_str(data, "type"), get_str(data, "value"), param_prefix)
    owner = {"customer": customer["id"], "type": "customer"} if customer else {"customer": None, "type": "self"}
    tax_id = call.insert({
        "id": call.new_id("txi_"), "object": "tax_id", "country": _country(tax_type, value), "created": call.now(),
        "customer": customer["id"] if customer else None, "owner": owner, "type": tax_type, "value": value,
        "verification": {"status": "pending", "verified_address": None, "verified_name": None},
    })
    if customer:
        call.emit("customer.tax_id.created", tax_id)
    return tax_id


def _customer_tax_id(call: Call, customer_id: str, tax_id: str) -> dict:
    find_customer(call, customer_id, param="customer")
    found = call.store.get("tax_id", tax_id)
    if found is None or found.get("customer") != customer_id:
        raise not_found("tax_id", tax_id)
    return found


def _delete(call: Call, tax_id: dict) -> dict:
    if tax_id.get("customer"):
        call.emit("customer.tax_id.deleted", tax_id)
    call.store.remove("tax_id", tax_id["id"])
    return {"id": tax_id["id"], "object": "tax_id", "deleted": True}


@route("POST", "/v1/customers/<customer_id>/tax_ids", ("type", "value"))
def create_customer_tax_id(call: Call, customer_id: str) -> dict:
    return create_tax_id(call, find_customer(call, customer_id, param="customer"), call.params)


@route("GET", "/v1/customers/<customer_id>/tax_ids", LIST_PARAMS)
def list_customer_tax_ids(call: Call, customer_id: str) -> dict:
    find_customer(call, customer_id, param="customer")
    return list_response(call, "tax_id", f"/v1/customers/{customer_id}/tax_ids", where={"customer": customer_id})


@route("GET", "/v1/customers/<customer_id>/tax_ids/<tax_id>")
def retrieve_customer_tax_id(call: Call, customer_id: str, tax_id: str) -> dict:
    return _customer_tax_id(call, customer_id, tax_id)


@route("DELETE", "/v1/customers/<customer_id>/tax_ids/<tax_id>")
def delete_customer_tax_id(call: Call, customer_id: str, tax_id: str) -> dict:
    return _delete(call, _customer_tax_id(call, customer_id, tax_id))


def _owner_customer(call: Call, owner: dict | None, param: str = "owner") -> dict | None:
    if not owner:
        return None
    owner_type = get_enum(owner, "type", ("account", "application", "customer", "self"), required=True)
    if owner_type != "customer":
        return None
    return find_customer(call, get_str(owner, "customer", required=True), param=f"{param}[customer]")


@route("POST", "/v1/tax_ids", ("type", "value", "owner"))
def create_top_level_tax_id(call: Call) -> dict:
    return create_tax_id(call, _owner_customer(call, get_dict(call.params, "owner")), call.params)


@route("GET", "/v1/tax_ids", LIST_PARAMS + ("owner",))
def list_top_level_tax_ids(call: Call) -> dict:
    customer = _owner_customer(call, get_dict(call.params, "owner"))
    if customer is not None:
        return list_response(call, "tax_id", "/v1/tax_ids", where={"customer": customer["id"]})
    return list_response(call, "tax_id", "/v1/tax_ids", predicate=lambda t: t.get("customer") is None)


@route("GET", "/v1/tax_ids/<tax_id>")
def retrieve_top_level_tax_id(call: Call, tax_id: str) -> dict:
    return call.get("tax_id", tax_id)


@route("DELETE", "/v1/tax_ids/<tax_id>")
def delete_top_level_tax_id(call: Call, tax_id: str) -> dict:
    return _delete(call, call.get("tax_id", tax_id))
