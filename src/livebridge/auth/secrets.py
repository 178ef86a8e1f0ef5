"""Password hashing (argon2) and API-key minting (random, stored as SHA-256, visible prefix)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from livebridge.kit.ids import sha256_hex

_hasher = PasswordHasher()
API_KEY_MARKER = "lbk_"
API_KEY_PREFIX_LENGTH = 12
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this keeps a login for an unknown e-mail as slow as one with a wrong password.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class MintedApiKey:
    plaintext: str
    prefix: str
    key_hash: str


def mint_api_key() -> MintedApiKey:
    plaintext = API_KEY_MARKER + secrets.token_urlsafe(32)
    return MintedApiKey(plaintext=plaintext, prefix=plaintext[:API_KEY_PREFIX_LENGTH], key_hash=sha256_hex(plaintext))


def hash_api_key(plaintext: str) -> str:
    return sha256_hex(plaintext)
