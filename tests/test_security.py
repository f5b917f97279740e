"""Who may change data and who sees what: the PMO-lead password on the Data loads page, business-unit
scoping through every path (pages, URL filters, the project link, downloads, the review exports), and
hostile values in the URL or the data that must stay inert.
"""
from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from pmo_metrics import access
from pmo_metrics.filters import Filters

from test_app import APP, TIMEOUT, demo, problems, use_db  # noqa: F401 — fixtures shared with the app tests


def _at(secrets: dict | None = None, query: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    if user is not None:
        at.user.clear()
        at.user.update(user)
    if query:
        at.query_params.update(query)
    return at


# -- the PMO-lead password -------------------------------------------------------------------------

def test_password_comparison_and_configuration():
    assert access.password_matches("s3cret", "s3cret")
    assert not access.password_matches("s3cre", "s3cret")
    assert not access.password_matches("", "s3cret") and not access.password_matches(None, "s3cret")
    assert access.password_matches("pässwörd", "pässwörd")
    assert access.data_loads_password({}, {}) is None
    assert access.data_loads_password({"data_loads": {"password": "change-me"}}, {}) is None  # the example's
    assert access.data_loads_password({"data_loads": {"password": "  "}}, {}) is None
    assert access.data_loads_password({"data_loads": {"password": "a"}}, {"PMO_DATA_LOADS_PASSWORD": "b"}) == "a"
    assert access.data_loads_password({}, {"PMO_DATA_LOADS_PASSWORD": "b"}) == "b"
    assert access.password_fingerprint("a") != access.password_fingerprint("b")


def test_the_throttle_slows_guessing_and_locks_a_session_out():
    t = access.Throttle(base_delay_s=0.5, max_delay_s=2.0, max_attempts=3, lockout_s=60)
    assert [t.delay_after_failure() for _ in range(5)] == [0.5, 1.0, 1.5, 2.0, 2.0]
    assert t.locked_for(2, time.monotonic()) == 0
    assert 59 < t.locked_for(3, time.monotonic()) <= 60
    assert t.locked_for(3, time.monotonic() - 61) == 0


def test_without_a_password_the_data_loads_page_loads_nothing(demo, use_db):
    use_db(demo["db"])
    at = _at().run()
    at.switch_page("pages/data_loads.py").run()
    assert not problems(at)
    assert not at.file_uploader and not at.text_input
    assert any("PMO_DATA_LOADS_PASSWORD" in i.value and "[data_loads]" in i.value for i in at.info)


def test_viewers_see_a_password_box_and_never_an_upload_widget(demo, use_db):
    use_db(demo["db"])
    at = _at({"data_loads": {"password": "the-lead-pw"}}).run()
    at.switch_page("pages/data_loads.py").run()
    assert not at.file_uploader
    box = at.text_input(key="data_loads_password")
    assert box.proto.type == box.proto.PASSWORD                  # masked as it is typed

    started = time.monotonic()
    at.text_input(key="data_loads_password").input("the-lead-PW").run()
    assert time.monotonic() - started >= 0.9                     # a wrong guess costs time
    assert not at.file_uploader
    assert any("Wrong password (1 of" in e.value for e in at.error)
    assert at.text_input(key="data_loads_password").value == ""  # the attempt is not kept

    at.text_input(key="data_loads_password").input("the-lead-pw").run()
    assert not problems(at)
    assert at.file_uploader and not at.text_input
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/data_loads.py").run()
    assert at.file_uploader                                      # unlocked for the rest of the session


def test_the_password_may_come_from_the_environment(demo, use_db):
    use_db(demo["db"], PMO_DATA_LOADS_PASSWORD="from-env")
    at = _at().run()
    at.switch_page("pages/data_loads.py").run()
    at.text_input(key="data_loads_password").input("from-env").run()
    assert at.file_uploader


def test_a_session_is_locked_out_after_repeated_failures(demo, use_db, monkeypatch):
    import pages.data_loads as loads_page  # noqa: F401 — the throttle lives in the page's resource cache

    monkeypatch.setattr(access.Throttle, "delay_after_failure", lambda self: 0.0)
    use_db(demo["db"])
    at = _at({"data_loads": {"password": "right"}}).run()
    at.switch_page("pages/data_loads.py").run()
    for _ in range(5):
        at.text_input(key="data_loads_password").input("wrong").run()
    assert any("Too many wrong passwords" in e.value for e in at.error)
    assert not at.text_input and not at.file_uploader
