"""Signing in and out in a real Chromium: the page in Chinese, wrong passwords, the lockout, and a clean map page
(no CSP or other console errors) once signed in with the cookie."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth.users import MAX_FAILURES, add_user
from tests.webmap.conftest import LiveServer, browser_account, make_live_app, sign_in_state, watch_page

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def server(web_engine: Engine) -> Iterator[LiveServer]:
    """A server whose visitors bring only what a browser brings: no token added for them."""
    live = LiveServer(make_live_app(web_engine, sign_in=False))
    yield live
    live.stop()


@pytest.fixture
def fresh(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _submit(page: Page, name: str, password: str) -> None:
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_sign_in_page_wrong_password_sign_in_and_out(fresh: Page, server: LiveServer, web_engine: Engine):
    account = browser_account(web_engine)
    watch = watch_page(fresh, server.url.split("//")[1], expected_status=(401,))
    fresh.goto(server.url + "/hazards?state=open")
    expect(fresh).to_have_url(re.compile(r"/login\?next="))
    expect(fresh.locator("h1")).to_have_text("登录")
    assert fresh.locator("html").get_attribute("lang") == "zh-CN"
    _submit(fresh, account.name, "not-the-password")
    expect(fresh.locator("#jw-login-error")).to_have_text("用户名或密码错误。")
    _submit(fresh, account.name, account.password)
    expect(fresh).to_have_url(re.compile(r"/hazards"))  # back where the visitor was going
    expect(fresh.locator("#jw-user-name")).to_have_text(account.name)
    fresh.locator("#jw-logout").click()
    expect(fresh).to_have_url(re.compile(r"/login$"))
    fresh.goto(server.url + "/")
    expect(fresh).to_have_url(re.compile(r"/login\?next=/"))
    assert not watch.foreign, watch.foreign
    assert all("status of 401" in e for e in watch.errors), watch.errors  # the wrong password's page


def test_english_sign_in_page_has_no_chinese(fresh: Page, server: LiveServer):
    fresh.goto(server.url + "/login?lang=en")
    expect(fresh.locator("h1")).to_have_text("Sign in")
    text = fresh.locator("main").inner_text()
    assert not CJK.search(text), text


def test_lockout_is_shown(fresh: Page, server: LiveServer, web_engine: Engine):
    with Session(web_engine) as session:
        add_user(session, "locked-clerk", "viewer", "130133-01", "right-password-1")
    fresh.goto(server.url + "/login")
    for _ in range(MAX_FAILURES):
        _submit(fresh, "locked-clerk", "wrong-password")
        expect(fresh.locator("#jw-login-error")).to_have_text("用户名或密码错误。")
    _submit(fresh, "locked-clerk", "right-password-1")
    expect(fresh.locator("#jw-login-error")).to_contain_text("登录失败次数过多")


def test_map_page_signed_in_with_the_cookie_is_clean(browser: Browser, server: LiveServer, web_engine: Engine):
    state = sign_in_state(browser, server, browser_account(web_engine))
    context = browser.new_context(locale="zh-CN", storage_state=state)
    page = context.new_page()
    watch = watch_page(page, server.url.split("//")[1])
    page.goto(server.url + "/?layers=precincts,districts,grids,labels,hazards")
    page.wait_for_selector("body[data-ready]")
    page.wait_for_load_state("networkidle")
    watch.assert_clean()  # a too strict CSP would show here as console errors
    context.close()
