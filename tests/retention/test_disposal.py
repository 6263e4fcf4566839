"""Disposal end to end on a real installation: the two-person approval, the dry
run, what goes and what stays, nothing of a destroyed document left anywhere in
the data directory, certificates that list exactly what went, an audit event
for every act, and the same bytes dropped again after destruction."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from chartdesk import access, classify, index, records, retention
from chartdesk.db import documents, pages, retention_run_items, retention_tombstones
from chartdesk.ingest import take
from chartdesk.retention import NotApprovedError, PlanChangedError
from tests.retention.conftest import MARKER, Site, run_pipeline, site_config
from tests.retention.helpers import (
    TODAY,
    actions,
    approve_and_apply,
    certificate_ids,
    files_holding,
    marker_term_count,
    states,
)


def test_the_applier_needs_someone_elses_approval_of_this_very_plan(site: Site) -> None:
    cora, carl, rita, bill = (site.principal(u) for u in ("cora", "carl", "rita", "bill"))
    with pytest.raises(access.NotPermittedError):
        retention.plan_for(site.app, bill, today=TODAY)  # billing has no retention permission
    plan = retention.plan_for(site.app, cora, today=TODAY)
    with pytest.raises(NotApprovedError, match="(?i)nobody has approved"):
        retention.apply(site.app, cora, execute=True, today=TODAY)
    retention.approve_plan(site.app, cora, plan.short, note="mine", today=TODAY)
    with pytest.raises(NotApprovedError, match="(?i)approved only by you"):
        retention.apply(site.app, cora, execute=True, today=TODAY)
    with pytest.raises(PlanChangedError):
        retention.approve_plan(site.app, carl, "0" * 16, note="wrong", today=TODAY)
    retention.approve_plan(site.app, rita, plan.short, note="records manager agrees", today=TODAY)
    with pytest.raises(access.NotPermittedError):
        retention.apply(site.app, rita, execute=True, today=TODAY)  # records may approve, not destroy
    dry = retention.apply(site.app, cora, execute=False, today=TODAY)
    assert not dry.executed and dry.approval is not None and dry.approval.approver == "rita"
    assert set(states(site.app, list(site.docs.values())).values()) <= {"indexed", "split"}, "a dry run changes nothing"
    retention.place_hold(site.app, carl, matter="Doe v. Clinic", reason="litigation notice received",
                         document_ids=(site.docs["lab"],))
    with pytest.raises(NotApprovedError):
        retention.apply(site.app, cora, execute=True, today=TODAY)  # the plan changed: approve it again
    assert states(site.app, [site.docs["lab"]]) == {site.docs["lab"]: "indexed"}


def test_an_old_approval_is_not_enough(site: Site) -> None:
    plan = retention.plan_for(site.app, site.principal("carl"), today=TODAY)
    retention.approve_plan(site.app, site.principal("carl"), plan.fingerprint, note="ok", today=TODAY)
    from sqlalchemy import update

    from chartdesk.db import retention_approvals, utcnow

    with site.app.db.write() as conn:  # as if approved 31 days ago ([retention] approval_days = 30)
        import datetime as dt

        conn.execute(update(retention_approvals).values(approved_at=utcnow() - dt.timedelta(days=31)))
    with pytest.raises(NotApprovedError, match="(?i)older than 30 days"):
        retention.apply(site.app, site.principal("cora"), execute=True, today=TODAY)


def test_disposal_removes_everything_and_certifies_exactly_what_went(site: Site) -> None:
    """Given the classifier learnt from the marked note (a staff correction) and
    the marker is in its text, its page image, its file name and the search index,
    when the approved plan is applied, then the marker is in no file of the
    installation, the index holds no copy, and the records left are tombstones."""
    classify.retrain(site.settings, site.app.db.read)
    viewed = records.reading.page_image(site.app, site.principal("rita"), site.docs["marked"], 1)  # drawn now
    before = files_holding(site.root)
    assert any(p.startswith("data/index/") for p in before), before
    assert any("chartdesk.db" in p for p in before), before
    assert "models/classifier.pkl" in before, before
    assert marker_term_count(site) >= 2
    plan = retention.plan_for(site.app, site.principal("carl"), today=TODAY)
    destroy = {r.document_id for r in plan.destroy}
    assert destroy == {site.docs[n] for n in ("marked", "lab", "card", "minor", "cover", "body")}
    assert {r.document_id for r in plan.review} == {site.docs["consent"]}
    with site.app.db.read() as conn:
        sha = conn.execute(select(documents.c.sha256).where(documents.c.id == site.docs["marked"])).scalar_one()
        fax_sha = conn.execute(select(documents.c.sha256).where(documents.c.id == site.docs["fax"])).scalar_one()

    outcome = approve_and_apply(site)

    assert outcome.executed and outcome.run is not None and outcome.run.finished
    gone = destroy | {site.docs["fax"]}  # the split fax's own record follows its parts
    after = states(site.app, list(site.docs.values()))
    assert {d for d, s in after.items() if s == "destroyed"} == gone
    assert after[site.docs["consent"]] == "indexed"  # review, not destroy
    assert files_holding(site.root) == [], "the marker survived somewhere"
    assert marker_term_count(site) == 0
    assert retention.stored_copies(site.settings, gone) == (set(), set())
    assert not site.app.store.exists(sha) and not site.app.store.exists(fax_sha)
    assert not viewed.exists() and not (site.settings.derived_dir / str(site.docs["marked"])).exists()
    assert not (site.settings.derived_dir / str(site.docs["fax"])).exists()
    assert site.app.store.exists(_sha(site, "consent"))
    with site.app.db.read() as conn:
        assert conn.execute(select(pages).where(pages.c.document_id.in_(gone))).first() is None
        tomb = {r.document_id: r for r in conn.execute(select(retention_tombstones))}
        row = conn.execute(select(documents).where(documents.c.id == site.docs["marked"])).one()
    assert set(tomb) == gone
    marked = tomb[site.docs["marked"]]
    assert (marked.sha256, marked.rule, marked.approved_by, marked.applied_by, marked.doc_class) == (
        sha, "clinical", "carl", "cora", "progress_note")
    assert marked.patient_id == site.patients["A"] and marked.doc_date is not None
    assert (row.original_name, row.labels, row.reason) == ("", [], None)
    hits = _search_everything(site, MARKER)
    assert hits == 0

    run = outcome.run
    assert run.certificate_csv is not None and run.certificate_pdf is not None
    assert sorted(certificate_ids(run.certificate_csv)) == sorted(gone)
    text = "".join(page.extract_text() for page in PdfReader(run.certificate_pdf).pages)
    assert "Certificate of destruction" in text and run.fingerprint in text.replace("\n", "")
    for doc_id in gone:
        assert f"\n{doc_id} " in text or f"\n{doc_id}\n" in text or text.count(str(doc_id)) >= 1

    destroyed_events = {e[2] for e in actions(site.app, "destroyed")}
    assert destroyed_events == gone
    assert [e[1] for e in actions(site.app) if e[1] in ("plan_approved", "disposal_started", "disposal_finished")] == [
        "plan_approved", "disposal_started", "disposal_finished"]
    assert all(e[0] == "cora" for e in actions(site.app, "destroyed"))
    assert run.summary["classifier_retrained"], "the classifier had learnt from a destroyed document"


def test_applying_again_finds_nothing_and_changes_nothing(site: Site) -> None:
    first = approve_and_apply(site)
    assert first.run is not None
    again = retention.apply(site.app, site.principal("cora"), execute=True, today=TODAY)
    assert not again.executed and again.plan is not None and not again.plan.destroy
    assert len(retention.list_runs(site.app)) == 1
    assert retention.get_run(site.app, first.run.id).summary["destroyed"] == first.run.summary["destroyed"]


def test_the_same_bytes_dropped_again_are_a_new_document_flagged_as_a_destroyed_ones(site: Site,
                                                                                     template_drop: object) -> None:
    marked = site.docs["marked"]
    approve_and_apply(site)
    again = site.root / "again.pdf"
    shutil.copy(template_drop / f"{MARKER}-note.pdf", again)  # type: ignore[operator]
    outcome = take(site.app, again, inbox=None, source="scan", remove=False)
    assert outcome.status == "stored" and outcome.document_id not in (None, marked)
    run_pipeline(site.app)
    with site.app.db.read() as conn:
        row = conn.execute(select(documents).where(documents.c.id == outcome.document_id)).one()
        text = " ".join(conn.execute(select(pages.c.text).where(pages.c.document_id == row.id)).scalars())
    assert row.flags["matches_destroyed"] == [marked]
    assert row.state in ("indexed", "needs_review") and MARKER in text  # processed as new
    assert site.app.store.exists(row.sha256)
    assert _search_everything(site, MARKER) == 1


def test_a_split_fax_keeps_its_original_while_one_part_lives(site: Site) -> None:
    """Given a hold on the body of a split fax, when the plan is applied, then the
    cover goes (its text and page images of the parent record too) but the
    original file, which holds both, stays for the body."""
    retention.place_hold(site.app, site.principal("carl"), matter="records request 17", reason="patient asked for copies",
                         document_ids=(site.docs["body"],))
    outcome = approve_and_apply(site)
    after = states(site.app, [site.docs[n] for n in ("cover", "body", "fax")])
    assert after == {site.docs["cover"]: "destroyed", site.docs["body"]: "indexed", site.docs["fax"]: "split"}
    assert site.app.store.exists(_sha(site, "fax"))
    with site.app.db.read() as conn:
        parent_pages = conn.execute(select(pages.c.page_no).where(pages.c.document_id == site.docs["fax"])).scalars().all()
        items = conn.execute(select(retention_run_items.c.document_id, retention_run_items.c.status)).all()
    assert parent_pages == [2]  # page 1 (the cover) is gone from the parent record too
    assert (site.docs["body"], "destroyed") not in items and outcome.run is not None


def _sha(site: Site, name: str) -> str:
    with site.app.db.read() as conn:
        return str(conn.execute(select(documents.c.sha256).where(documents.c.id == site.docs[name])).scalar_one())


def _search_everything(site: Site, word: str) -> int:
    reader = index.open_index(site.settings, writer=False)
    try:
        return reader.search(word, visible=index.MATCH_ALL, limit=20).total
    finally:
        reader.close()


@pytest.fixture
def template_drop(template: object) -> object:
    return template / "drop"  # type: ignore[operator]


def test_the_certificate_names_the_backups_that_still_hold_destroyed_documents(site: Site, tmp_path: object) -> None:
    """Given a backup taken before the disposal (chartdesk.backup), the certificate
    says that backup holds the destroyed originals and their records (its database
    copy) until it ages out; the CSV gives each document's last day in a backup."""
    import csv as csv_mod
    import dataclasses

    from chartdesk import backup

    admin = dataclasses.replace(access.SYSTEM, client="test:backup")
    site_config(site.root)  # a backup keeps the installation's config file too
    taken = backup.create_backup(site.app, admin, tmp_path / "backups")  # type: ignore[operator]
    outcome = approve_and_apply(site)
    assert outcome.run is not None and outcome.run.certificate_csv and outcome.run.certificate_pdf
    with outcome.run.certificate_csv.open(newline="") as f:
        rows = list(csv_mod.DictReader(f))
    expires = taken.manifest.taken_at + dt.timedelta(days=site.settings.backup.retention_days)
    assert {r["in_backups_until"] for r in rows} == {expires.isoformat(timespec="seconds")}
    text = "".join(page.extract_text() for page in PdfReader(outcome.run.certificate_pdf).pages)
    assert "still hold destroyed documents" in text and str(taken.path.name) in text.replace("\n", "")


def test_index_folders_left_by_a_rebuild_go_too(site: Site) -> None:
    """Given the search index was rebuilt beside the live one (the old folder is
    kept for readers still on it), disposal leaves no folder holding the marker."""
    index.rebuild(site.app.db, site.settings)
    index.rebuild(site.app.db, site.settings)
    assert sum(1 for p in site.settings.index_dir.iterdir() if ".g-" in p.name) >= 2
    assert any(p.startswith("data/index/tantivy.g-") for p in files_holding(site.root))
    approve_and_apply(site)
    assert files_holding(site.root) == []
    live = (site.settings.index_dir / "tantivy").resolve()
    assert [p for p in site.settings.index_dir.iterdir() if ".g-" in p.name and p.resolve() != live] == []
    assert _search_everything(site, "consent") >= 1  # the live index still answers for what was kept
