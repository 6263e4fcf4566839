"""Password hashing: argon2id (memory-hard), parameters from [access.login].

Defaults: time_cost 3, memory 64 MiB, parallelism 1, 16-byte salt, 32-byte
hash (RFC 9106's second recommended setting, with one lane for a small
server's two cores). The parameters are stored in each hash (PHC string), so
raising them re-hashes each password at its owner's next login.
"""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chartdesk.config import LoginSettings

_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@functools.cache
def hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism,
        hash_len=32, salt_len=16, type=Type.ID,
    )


def hasher_for(settings: LoginSettings) -> PasswordHasher:
    return hasher(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)


def hash_password(settings: LoginSettings, password: str) -> str:
    return hasher_for(settings).hash(password)


def check_password(settings: LoginSettings, stored: str, password: str) -> bool:
    try:
        return hasher_for(settings).verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(settings: LoginSettings, stored: str) -> bool:
    return hasher_for(settings).check_needs_rehash(stored)


@functools.cache
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return hasher(time_cost, memory_kib, parallelism).hash(secrets.token_hex(16))


def burn_time(settings: LoginSettings, password: str) -> None:
    """Verify against a throw-away hash, so an unknown user name takes as long
    to refuse as a wrong password."""
    dummy = _dummy_hash(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    check_password(settings, dummy, password)


def generate_password(length: int = 20) -> str:
    """A random password without look-alike characters (0/O, 1/l/I)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
