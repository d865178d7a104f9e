import math
import uuid

import pytest

from tenancy import tokens


def test_a_token_carries_at_least_128_bits():
    token = tokens.make_token(uuid.uuid4(), tokens.new_salt())
    # 43 characters of URL-safe base64: 6 bits each.
    assert len(token) * math.log2(64) >= 128
    assert tokens.looks_like_token(token)


def test_every_invitation_gets_its_own_token():
    invitation_id = uuid.uuid4()
    assert tokens.make_token(invitation_id, tokens.new_salt()) != tokens.make_token(
        invitation_id, tokens.new_salt()
    )


def test_the_issued_token_checks():
    invitation_id, salt = uuid.uuid4(), tokens.new_salt()
    assert tokens.check_token(invitation_id, salt, tokens.make_token(invitation_id, salt))


@pytest.mark.parametrize(
    "bad", ["", None, 42, "x" * 43, "short", "a" * 44, "é" * 43, "../../etc/passwd"]
)
def test_anything_else_does_not(bad):
    invitation_id, salt = uuid.uuid4(), tokens.new_salt()
    assert not tokens.check_token(invitation_id, salt, bad)


def test_a_token_for_another_invitation_does_not_check():
    salt = tokens.new_salt()
    assert not tokens.check_token(uuid.uuid4(), salt, tokens.make_token(uuid.uuid4(), salt))


def test_the_stored_form_alone_yields_no_token():
    """The database keeps the salt and a hash; without the secret key neither gives the token."""
    invitation_id, salt = uuid.uuid4(), tokens.new_salt()
    token = tokens.make_token(invitation_id, salt)
    stored = {str(invitation_id), salt, tokens.hash_token(token)}
    assert token not in stored
    assert tokens.make_token(invitation_id, salt, secret="a guessed key") != token


def test_links_survive_a_key_rotation_with_fallbacks(settings):
    invitation_id, salt = uuid.uuid4(), tokens.new_salt()
    token = tokens.make_token(invitation_id, salt)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a brand new secret key, rotated"
    assert tokens.check_token(invitation_id, salt, token)
    settings.SECRET_KEY_FALLBACKS = []
    assert not tokens.check_token(invitation_id, salt, token)
