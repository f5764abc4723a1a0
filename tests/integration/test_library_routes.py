"""The reading list's routes over real HTTP: one-time login link, header session, Origin checks,
PDFs served safely, export and import, and everything still served once the paper servers are gone."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from papertray import citations
from papertray.api import bodies
from tests.support.library_page import session_from
from tests.support.library_site import LibrarySite
from tests.support.paper_server import PaperServer


@pytest.fixture
def papers() -> Iterator[PaperServer]:
    with PaperServer() as srv:
        srv.add("2307.12345", title="Sparse Autoencoders", authors=["Ada Lovelace"], version=2)
        srv.add("hep-th/9901001", title="Large N", authors=["Juan Maldacena"], on_hf=False)
        yield srv


@pytest.fixture
def site(tmp_path: Path, papers: PaperServer) -> Iterator[LibrarySite]:
    with LibrarySite(tmp_path / "home", papers) as s:
        yield s


class Page:
    """What the reading-list page does: log in once, then send its session header, and its Origin on changes."""

    def __init__(self, site: LibrarySite, http: aiohttp.ClientSession) -> None:
        self.site = site
        self.http = http
        self.session = ""

    async def login(self) -> None:
        url = self.site.login_url()
        async with self.http.get(url, allow_redirects=False) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/html")
            assert response.headers["Cache-Control"] == "no-store"
            self.session = session_from(await response.read())
        status, body = await self.get("/library/api/session")
        assert status == 200 and body["header"] == "X-Papertray-Session"

    def headers(self, change: bool) -> dict[str, str]:
        headers = {"X-Papertray-Session": self.session} if self.session else {}
        if change:
            headers["Origin"] = self.site.url
        return headers

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.site.url + path, headers=self.headers(False)) as response:
            return response.status, await response.json(content_type=None)

    async def send(self, method: str, path: str, body: Any = None, **override: str) -> tuple[int, Any]:
        headers = {**self.headers(True), **override}
        headers = {k: v for k, v in headers.items() if v}
        async with self.http.request(method, self.site.url + path, json=body, headers=headers) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def page(site: LibrarySite) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        yield Page(site, http)


def auth(site: LibrarySite) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.token}"}


def save(site: LibrarySite, paper_id: str, **fields: Any) -> None:
    site.call(site.store.update_state(paper_id, saved=True, **fields))


async def test_a_login_link_works_once_and_the_page_needs_its_session(site: LibrarySite, page: Page) -> None:
    status, body = await page.get("/library/api/papers")
    assert status == 401 and body["ok"] is False and "papertray open" in body["error"]
    await page.login()
    first = site.login_url()
    async with page.http.get(first, allow_redirects=False) as response:
        assert response.status == 200
    async with page.http.get(first, allow_redirects=False) as again:
        assert again.status == 403
    status, body = await page.get("/library/api/papers")
    assert status == 200 and body["papers"] == []


async def test_the_page_assets_carry_a_strict_csp_and_no_data(site: LibrarySite, page: Page) -> None:
    async with page.http.get(site.url + "/library/") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp
        html = await response.text()
        assert '<script type="module" src="/library/app.js"></script>' in html
        assert "onclick" not in html and "<script>" not in html
    async with page.http.get(site.url + "/library/app.js") as response:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        script = await response.text()
        assert ".innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


async def test_changes_need_the_session_origin_and_json(site: LibrarySite, page: Page) -> None:
    save(site, "2307.12345")
    site.wait_downloaded("2307.12345")
    await page.login()
    path = "/library/api/papers/2307.12345"
    assert (await page.send("PATCH", path, {"read": True}, **{"X-Papertray-Session": "wrong"}))[0] == 401
    assert (await page.send("PATCH", path, {"read": True}, **{"X-Papertray-Session": ""}))[0] == 401
    assert (await page.send("PATCH", path, {"read": True}, Origin=""))[0] == 403
    assert (await page.send("PATCH", path, {"read": True}, Origin="http://127.0.0.1:1"))[0] == 403
    assert (await page.send("PATCH", path, {"read": True}, Origin="https://evil.example"))[0] == 403
    assert (await page.send("PATCH", path, {"read": True}, **{"Sec-Fetch-Site": "same-site"}))[0] == 403
    assert (await page.send("PATCH", path, {"colour": "red"}))[0] == 400
    assert not site.store.get_state("2307.12345").read
    async with page.http.patch(
        site.url + path, data="read=true", headers={**page.headers(True), "Content-Type": "text/plain"}
    ) as response:
        assert response.status == 415

    status, body = await page.send("PATCH", path, {"read": True, "tags": ["interp", " to  cite "], "note": "§3 ✓"})
    assert status == 200 and body["read"] is True and body["tags"] == ["interp", "to cite"]
    folder = site.config.paths.library_dir / "2307.12345"
    for _ in range(250):
        if (folder / "notes.md").exists() and (folder / "notes.md").read_text() == "§3 ✓":
            break
        await __import__("asyncio").sleep(0.02)
    assert (folder / "notes.md").read_text() == "§3 ✓"
    assert json.loads((folder / "meta.json").read_text())["tags"] == ["interp", "to cite"]


async def test_pdf_route_serves_pdfs_only_from_inside_the_library(
    site: LibrarySite, page: Page, tmp_path: Path
) -> None:
    save(site, "2307.12345")
    save(site, "hep-th/9901001")
    site.wait_downloaded("2307.12345")
    site.wait_downloaded("hep-th/9901001")
    await page.login()
    async with page.http.get(site.url + "/library/pdf/2307.12345", headers=page.headers(False)) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith('inline; filename="2307.12345v2.pdf"')
        assert (await response.read()).startswith(b"%PDF-")
    async with page.http.get(site.url + "/library/pdf/hep-th_9901001", headers=page.headers(False)) as response:
        assert response.status == 200
    async with page.http.get(site.url + "/library/pdf/2307.12345") as response:
        assert response.status == 401  # no session header

    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret %%EOF")
    folder = site.config.paths.library_dir / "2401.00001"
    folder.mkdir()
    os.symlink(secret, folder / "2401.00001v1.pdf")
    attacks = [
        "../../etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "%252e%252e%252f",
        "..\\..\\win.ini",
        "/etc/passwd",
        "C:\\Windows\\win.ini",
        "\\\\server\\share\\x",
        "id%00.pdf",
        "x" * 5_000,
        "2401.00001",
        "..",
        ".trash",
    ]
    for attack in attacks:
        raw = URL(site.url + "/library/pdf/" + attack.replace("\\", "%5C"), encoded=True)  # no client clean-up
        async with page.http.get(raw, headers=page.headers(False)) as response:
            assert response.status in (400, 404), attack
            assert b"secret" not in await response.read()
    async with page.http.get(site.url + "/library/pdf/2307.12345?v=../../x", headers=page.headers(False)) as r:
        assert r.status == 404


async def test_delete_and_undo_through_the_page_routes(site: LibrarySite, page: Page) -> None:
    save(site, "2307.12345", read=True)
    site.wait_downloaded("2307.12345")
    await page.login()
    status, body = await page.send("DELETE", "/library/api/papers/2307.12345")
    assert status == 200 and body["undo"] == {"saved": True, "read": True}
    assert (await page.get("/library/api/papers"))[1]["papers"] == []
    assert (await page.send("DELETE", "/library/api/papers/2307.12345"))[0] == 404
    status, body = await page.send("POST", "/library/api/papers/2307.12345/restore", {"read": True})
    assert status == 200 and body["read"] is True and body["library"]["pdfs"]


async def test_export_and_import_over_the_api(site: LibrarySite, page: Page) -> None:
    save(site, "2307.12345", tags=["a"])
    site.wait_downloaded("2307.12345")
    for fmt, ctype in [
        ("bibtex", "application/x-bibtex"),
        ("ris", "application/x-research-info-systems"),
        ("csljson", "application/vnd.citationstyles.csl+json"),
        ("markdown", "text/markdown"),
        ("json", "application/json"),
    ]:
        async with page.http.get(site.url + f"/api/v1/export?format={fmt}&state=saved", headers=auth(site)) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith(ctype)
            assert "Sparse Autoencoders" in await response.text()
    async with page.http.get(site.url + "/api/v1/export?format=docx", headers=auth(site)) as response:
        assert response.status == 400
    bib = (
        "@misc{x, title={Large N}, eprint={hep-th/9901001}, archivePrefix={arXiv}, keywords={old}}\n@book{b, title={B}}"
    )
    async with page.http.post(
        site.url + "/api/v1/import", json={"format": "bibtex", "content": bib}, headers=auth(site)
    ) as response:
        report = await response.json()
    assert report["imported"] == 1 and report["total"] == 2
    assert report["skipped"] == [{"label": "b", "reason": "No arXiv id in it (papertray keeps arXiv papers only)."}]
    site.wait_downloaded("hep-th/9901001")
    assert site.store.get_state("hep-th/9901001").tags == ("old",)
    async with page.http.get(site.url + "/api/v1/export?format=csljson", headers=auth(site)) as response:
        exported = citations.parse_csljson(await response.text())
    assert {e.id for e in exported.entries} == {"2307.12345", "hep-th/9901001"}


async def test_offline_the_list_notes_and_pdfs_are_still_served(
    site: LibrarySite, page: Page, papers: PaperServer
) -> None:
    save(site, "2307.12345", note="Plane reading.")
    save(site, "hep-th/9901001")
    site.wait_downloaded("2307.12345")
    site.wait_downloaded("hep-th/9901001")
    papers.stop()  # no network any more
    await page.login()
    status, body = await page.get("/library/api/papers")
    assert status == 200
    listed = {p["id"]: p for p in body["papers"]}
    assert listed["2307.12345"]["title"] == "Sparse Autoencoders"
    assert listed["2307.12345"]["note"] == "Plane reading."
    assert listed["hep-th/9901001"]["library"]["pdfs"] == [{"version": 1, "file": "hep-th_9901001v1.pdf"}]
    for key in ("2307.12345", "hep-th_9901001"):
        async with page.http.get(site.url + f"/library/pdf/{key}", headers=page.headers(False)) as response:
            assert response.status == 200 and (await response.read()).startswith(b"%PDF-")


async def test_the_guard_still_checks_host_and_the_token_routes_need_the_token(site: LibrarySite, page: Page) -> None:
    await page.login()
    rebound = {**page.headers(False), "Host": f"evil.example:{site.port}"}
    for path in ("/library/", "/library/api/papers", "/library/pdf/2307.12345", "/library/login?once=x"):
        async with page.http.get(site.url + path, headers=rebound) as response:
            assert response.status == 403, path
    # The page's session is no substitute for the bearer token on /api/v1.
    for method, path in [("POST", "/api/v1/library/login"), ("GET", "/api/v1/export"), ("GET", "/api/v1/library")]:
        async with page.http.request(method, site.url + path, headers=page.headers(True), json={}) as response:
            assert response.status in (401, 403), path
    async with page.http.get(site.url + "/api/v1/library", headers=auth(site)) as response:
        status = await response.json()
        assert status["root"].endswith("library") and status["queued"] == 0


async def test_s16_import_stores_only_what_patch_would_accept_and_says_what_it_changed(
    site: LibrarySite, page: Page
) -> None:
    many = ", ".join(f"t{n}" for n in range(124))
    ten_more = ", ".join(f"new{n}" for n in range(10))
    bib = (
        "@misc{ctl, eprint={2401.00001}, keywords={good, bad\x1b[31mred, ta\tb\x07}}\n"
        "@misc{long, eprint={2401.00002}, keywords={ok, " + "x" * 5_000 + "}}\n"
        "@misc{many, eprint={2401.00003}, keywords={" + many + "}}\n"
        "@misc{bignote, eprint={2401.00004}, annote={" + "n" * 200_000 + "}}\n"
        "@misc{full, eprint={2401.00005}, keywords={" + ten_more + "}}\n"
    )
    save(site, "2401.00005", tags=[f"old{n}" for n in range(45)])
    async with page.http.post(
        site.url + "/api/v1/import", json={"format": "bibtex", "content": bib}, headers=auth(site)
    ) as response:
        assert response.status == 200
        report = await response.json()
    assert report["imported"] == 3 and report["already_saved"] == 1 and report["total"] == 5
    assert report["skipped"] == [
        {
            "label": "2401.00004",
            "reason": "Its note is 200,000 characters long and papertray keeps notes of up to 10,000; "
            "shorten it and import again.",
        }
    ]
    assert {a["label"]: a["change"] for a in report["adjusted"]} == {
        "2401.00001": "Removed control characters from 2 tags.",
        "2401.00002": "Dropped 1 tag longer than 64 characters.",
        "2401.00003": "Dropped 74 tags beyond the 50 a paper can have.",
        "2401.00005": "Dropped 5 tags beyond the 50 a paper can have.",
    }
    state = site.store.get_state
    assert state("2401.00001").tags == ("good", "bad[31mred", "ta b")
    assert state("2401.00002").tags == ("ok",)
    assert state("2401.00003").tags == tuple(f"t{n}" for n in range(50))
    assert state("2401.00005").tags == (*(f"old{n}" for n in range(45)), *(f"new{n}" for n in range(5)))
    assert not state("2401.00004").saved and state("2401.00004").note == ""
    # What the import stored is what PATCH accepts: the same rules, from the same place.
    for paper_id in ("2401.00001", "2401.00002", "2401.00003", "2401.00005"):
        fields = {"tags": list(state(paper_id).tags), "note": state(paper_id).note}
        assert bodies.validate(fields, bodies.PATCH_PAPER) == fields


async def test_u23_api_import_of_content_in_no_known_format_is_a_clear_400(site: LibrarySite, page: Page) -> None:
    for fmt, content, sentence in [
        ("bibtex", "# Reading list\n\n- [A paper](https://arxiv.org/abs/2307.12345)\n", "it holds no BibTeX record"),
        ("csljson", "@misc{a, eprint={2307.12345}}", "it is not valid JSON"),
        ("csljson", '"just a string"', "it is JSON but not CSL-JSON"),
    ]:
        async with page.http.post(
            site.url + "/api/v1/import", json={"format": fmt, "content": content}, headers=auth(site)
        ) as response:
            assert response.status == 400, content
            body = await response.json()
        name = {"bibtex": "BibTeX", "csljson": "CSL-JSON"}[fmt]
        assert body["error"].startswith(f"The content cannot be read as {name}: {sentence}"), body
    assert not site.store.get_state("2307.12345").saved


async def test_s16_tags_read_the_same_whichever_way_they_came_in(site: LibrarySite, page: Page) -> None:
    save(site, "2307.12345")
    save(site, "hep-th/9901001")
    await page.login()
    status, _ = await page.send("PATCH", "/library/api/papers/2307.12345", {"tags": [" to  cite "]})
    assert status == 200
    async with page.http.patch(
        site.url + "/api/v1/papers/hep-th/9901001", json={"tags": [" to  cite "]}, headers=auth(site)
    ) as response:
        assert response.status == 200
    bib = "@misc{x, eprint={2401.00001}, keywords={ to \t cite }}"
    async with page.http.post(
        site.url + "/api/v1/import", json={"format": "bibtex", "content": bib}, headers=auth(site)
    ) as response:
        assert response.status == 200
    for paper_id in ("2307.12345", "hep-th/9901001", "2401.00001"):
        assert site.store.get_state(paper_id).tags == ("to cite",), paper_id
