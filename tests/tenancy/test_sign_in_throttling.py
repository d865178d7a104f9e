"""Failed sign-ins are counted per account and per address in the shared cache and refused,
before any password is hashed, once either reaches the limit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from tenancy.models import AuditAction, AuditEvent, Counter
from tests.hashers import CountingHasher

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
ATTACKER = "198.51.100.7"
AGENT_AT_HOME = "203.0.113.20"


@pytest.fixture(autouse=True)
def counting_hasher(settings, reference_data, sales_agent):
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingHasher"]
    sales_agent.set_password("correct horse battery staple")
    sales_agent.save()
    CountingHasher.calls = 0
    return CountingHasher


def attempt(client, username, password, address):
    return client.post(
        reverse("sign-in"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_the_sixth_wrong_password_is_refused_without_hashing(client, sales_agent):
    answers = [attempt(client, sales_agent.username, f"guess {n}", ATTACKER) for n in range(1, 5)]
    assert [a.status_code for a in answers] == [200] * 4
    assert b"Please enter a correct" in answers[-1].content
    assert CountingHasher.calls == 4
    fifth = attempt(client, sales_agent.username, "guess 5", ATTACKER)
    assert fifth.status_code == 429
    assert CountingHasher.calls == 5
    sixth = attempt(client, sales_agent.username, "guess 6", ATTACKER)
    assert CountingHasher.calls == 5  # refused before the hasher
    assert sixth.status_code == 429
    page = sixth.content.decode()
    assert "Sign-in is locked for now</h1>" in page
    assert "Try again after" in page and "UTC (in about 15 minutes)" in page
    assert 14 * 60 < int(sixth["Retry-After"]) <= 15 * 60


def test_failures_and_the_lock_are_audited_once_each(client, sales_agent):
    for n in range(8):
        attempt(client, sales_agent.username, f"guess {n}", ATTACKER)
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).count() == 5
    locked = AuditEvent.objects.get(action=AuditAction.SIGN_IN_LOCKED)
    assert locked.details == {"user_name": sales_agent.username, "address": ATTACKER}


def test_the_right_password_from_another_address_works_before_the_account_locks(
    client, sales_agent
):
    for n in range(4):
        attempt(client, sales_agent.username, f"guess {n}", ATTACKER)
    response = attempt(client, sales_agent.username, "correct horse battery staple", AGENT_AT_HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_an_address_guessing_many_accounts_does_not_lock_them_for_others(
    client, sales_agent, admin_agent
):
    names = [admin_agent.username] + [f"nobody{n}@contoso.example" for n in range(4)]
    for name in names:
        attempt(client, name, "wrong", ATTACKER)
    # The address is locked, even for an account it has not tried...
    blocked = attempt(client, sales_agent.username, "correct horse battery staple", ATTACKER)
    assert blocked.status_code == 429
    # ...but none of those accounts is, from anywhere else.
    calls = CountingHasher.calls
    response = attempt(client, sales_agent.username, "correct horse battery staple", AGENT_AT_HOME)
    assert response.status_code == 302
    assert CountingHasher.calls == calls + 1


def test_a_locked_account_stays_locked_from_every_address(client, sales_agent):
    for n in range(5):
        attempt(client, sales_agent.username, f"guess {n}", ATTACKER)
    response = attempt(client, sales_agent.username, "correct horse battery staple", AGENT_AT_HOME)
    assert response.status_code == 429


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_web_server_process_sees_the_lock(client, sales_agent):
    """Five failures through this process; the right password through another Python process
    (as another web server would run it, on the same database) is refused."""
    for n in range(5):
        attempt(client, sales_agent.username, f"guess {n}", ATTACKER)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SIGN_IN_AS": sales_agent.username,
        "SIGN_IN_FROM": AGENT_AT_HOME,
    }
    script = (
        "import os, django; django.setup()\n"
        "from django.test import Client\n"
        "answer = Client().post('/sign-in/', {'username': os.environ['SIGN_IN_AS'],"
        " 'password': 'correct horse battery staple'}, REMOTE_ADDR=os.environ['SIGN_IN_FROM'])\n"
        "print(answer.status_code)\n"
    )
    try:
        done = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
        )
    finally:
        Counter.objects.all().delete()  # committed: leave none for later tests
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "429"
