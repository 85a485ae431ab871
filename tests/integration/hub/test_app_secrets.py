"""Application tokens at rest: the 0600 key file, key rotation, and a foreign key's refusal."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from scimhub.applications.idm import IdmIntegrations
from scimhub.applications.secrets import KEY_FILE, BadSecretKey, SecretBox, SecretUnreadable
from scimhub.config import Settings

from .conftest import unique


def test_the_key_file_is_created_once_with_mode_0600(tmp_path):
    data_dir = tmp_path / "fresh" / "data"
    box = SecretBox.from_settings(Settings(data_dir=data_dir))
    key_file = data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    Fernet(key.strip())  # a valid Fernet key
    again = SecretBox.from_settings(Settings(data_dir=data_dir))
    assert key_file.read_bytes() == key
    assert again.open(box.seal("s3cret-token")) == "s3cret-token"
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE]  # no temporary file left


def test_the_session_hub_made_its_key_file_0600(hub):
    key_file = hub.settings.data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_sealing_twice_gives_different_ciphertexts_without_the_plaintext(tmp_path):
    box = SecretBox.from_settings(Settings(data_dir=tmp_path))
    first, second = box.seal("token-abcdef"), box.seal("token-abcdef")
    assert first != second
    assert "token-abcdef" not in first + second
    assert box.open(first) == box.open(second) == "token-abcdef"


def test_a_box_with_a_different_key_cannot_open_the_ciphertext(tmp_path):
    ours = SecretBox.from_settings(Settings(data_dir=tmp_path / "ours"))
    theirs = SecretBox.from_settings(Settings(data_dir=tmp_path / "theirs"))
    with pytest.raises(SecretUnreadable, match="restore the key or enter the token again") as e:
        theirs.open(ours.seal("token-abcdef"))
    assert "token-abcdef" not in e.value.detail
    assert e.value.status == 500


def test_garbage_ciphertext_is_unreadable(tmp_path):
    with pytest.raises(SecretUnreadable):
        SecretBox.from_settings(Settings(data_dir=tmp_path)).open("not-a-fernet-token")


def test_a_configured_secret_key_wins_over_the_key_file(tmp_path):
    key = Fernet.generate_key().decode()
    box = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key=key))
    assert not (tmp_path / KEY_FILE).exists()
    assert Fernet(key.encode()).decrypt(box.seal("abc").encode()) == b"abc"


def test_rotated_keys_decrypt_old_ciphertext_and_encrypt_with_the_first(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_by_old = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key=old)).seal("x1")
    rotated = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key=f"{new}, {old}"))
    assert rotated.open(sealed_by_old) == "x1"
    assert Fernet(new.encode()).decrypt(rotated.seal("x2").encode()) == b"x2"


def test_a_stored_token_is_unreadable_to_a_hub_with_another_key(hub, tmp_path):
    app = hub.applications.create(catalog_key="scim2", label=unique())
    hub.idm.configure(app.id, base_url="https://scim.example.com/v2", token="tok-zyxw9876")
    stranger = IdmIntegrations(hub.engine, SecretBox([Fernet.generate_key()]))
    with pytest.raises(SecretUnreadable):
        stranger.token(app.id)
    with pytest.raises(SecretUnreadable):
        stranger.activate(app.id)
    assert stranger.get(app.id).token_hint == "…9876"  # the hint needs no key
    assert hub.idm.token(app.id) == "tok-zyxw9876"


def test_a_malformed_secret_key_is_a_precise_error_not_a_traceback(tmp_path):
    with pytest.raises(BadSecretKey, match="not a Fernet key"):
        SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key="not-a-key"))
