"""The token-signing key pair for dev and tests: onboarding signs, the gateway verifies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["KeyPair", "ensure_keypair"]


@dataclass(frozen=True)
class KeyPair:
    private_key_file: Path
    public_key_file: Path


def ensure_keypair(directory: Path) -> KeyPair:
    """Create an Ed25519 key pair in `directory` unless one is there already."""
    pair = KeyPair(directory / "jwt-private.pem", directory / "jwt-public.pem")
    if pair.private_key_file.exists() and pair.public_key_file.exists():
        return pair
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pair.private_key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pair.private_key_file.chmod(0o600)
    pair.public_key_file.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return pair
