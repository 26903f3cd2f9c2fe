"""The sandbox's webhook signing: a test CA and a leaf certificate it serves at PAYPAL-CERT-URL, and
deliveries signed the PayPal way (SHA256withRSA over transmission_id|time|webhook_id|crc32(body))."""
from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import zlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_HOST = "messageverificationcerts.sandbox.paypal.com"
CERT_PATH = "/v1/notifications/certs/CERT-360caa42-fca2a594-sandbox"
CA_PATH = "/v1/notifications/certs/ca"


@dataclass(frozen=True)
class SigningKeys:
    key: rsa.RSAPrivateKey
    chain_pem: bytes  # leaf then CA, as PAYPAL-CERT-URL serves it
    ca_pem: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ChargeDesk PayPal sandbox"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_keys(*, valid_days: int = 30) -> SigningKeys:
    """A fresh CA and a leaf for CERT_HOST (serverAuth, as PayPal's DigiCert-issued cert)."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(_name("Sandbox Root CA")).issuer_name(_name("Sandbox Root CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=valid_days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (x509.CertificateBuilder().subject_name(_name(CERT_HOST)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=valid_days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(CERT_HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return SigningKeys(key=key, chain_pem=leaf.public_bytes(pem) + ca.public_bytes(pem), ca_pem=ca.public_bytes(pem))


def signed_message(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body) & 0xFFFFFFFF}".encode()


def sign(keys: SigningKeys, *, body: bytes, webhook_id: str, cert_url: str,
         transmission_time: str | None = None) -> dict[str, str]:
    """The headers PayPal sends with a delivery of `body` to the webhook `webhook_id`."""
    transmission_id = secrets.token_hex(16)
    when = transmission_time or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = keys.key.sign(signed_message(transmission_id, when, webhook_id, body), padding.PKCS1v15(),
                              hashes.SHA256())
    return {"Content-Type": "application/json", "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": when, "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-AUTH-ALGO": "SHA256withRSA", "PAYPAL-CERT-URL": cert_url}


def event_body(event_type: str, resource_type: str, resource: dict, summary: str | None = None) -> bytes:
    """A webhook event as PayPal posts it (v1.0 resource version)."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps({"id": f"WH-{secrets.token_hex(8).upper()}-{secrets.token_hex(8).upper()}",
                       "event_version": "1.0", "create_time": now, "resource_type": resource_type,
                       "resource_version": "2.0", "event_type": event_type,
                       "summary": summary or event_type.replace(".", " ").lower(), "resource": resource}).encode()
