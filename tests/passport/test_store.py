"""The database edge does what the in-memory ledger does, refuses bad input, and is append-only."""

from __future__ import annotations

import copy
import json
import os
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.errors import Conflict, Invalid, NotFound
from passport import epcis
from passport.epcis import Portion
from passport.models import APPEND_ONLY, PassportEvent, PassportLot
from passport.services import proofs, store
from passport.verify import verify_bundle
from tests.passport.fixture import HOST, SCALE, SITE, T0, build_world, org, uri

WORLD = build_world()


@pytest.fixture
def edge(app):
    """The app speaking for the fixture's host, with HL-A, HL-B and HL-C registered."""
    app.config["PUBLIC_BASE_URL"] = f"https://{HOST}"
    for lot in ("HL-A", "HL-B", "HL-C"):
        store.register_lot(lot, at=T0)
    db.session.commit()
    return app


def replay_world() -> None:
    for event in WORLD.ledger.history:
        store.record(event)
    db.session.commit()


def test_the_stored_log_equals_the_in_memory_ledger(edge) -> None:
    replay_world()
    log = proofs.stored_log()
    assert log.size == WORLD.ledger.log.size
    assert log.root() == WORLD.ledger.log.root()
    assert log.inclusion_proof(3) == WORLD.ledger.log.inclusion_proof(3)
    assert log.consistency_proof(7) == WORLD.ledger.log.consistency_proof(7)
    for lot, (seq, head) in WORLD.ledger.heads().items():
        row = db.session.get(PassportLot, lot)
        assert (row.seq, row.head) == (seq, head)


def test_a_lot_verifies_from_the_database_and_its_bundle_offline(edge, tmp_path) -> None:
    replay_world()
    older = proofs.make_checkpoint()
    db.session.commit()
    later = T0 + timedelta(days=2)
    store.record(epcis.weighing(uri("HL-A2"), at=later, net_g=238_000, scale=SCALE))
    db.session.commit()
    report = proofs.verify_lot("HL-BALE")
    assert report.ok, report.problems
    assert report.events > 10
    bundle = proofs.export_bundle("HL-A2", older=older.tree_size)
    db.session.commit()
    assert "older" in bundle
    assert verify_bundle(bundle, trusted_key=proofs.public_key_pem()).ok
    # the standalone verifier, in a child process with no platform
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "passport.verify_bundle", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # a tampered bundle from the database fails
    broken = copy.deepcopy(bundle)
    broken["document"]["epcisBody"]["eventList"][0]["eventTime"] = "2020-01-01T00:00:00Z"
    assert not verify_bundle(broken, trusted_key=proofs.public_key_pem()).ok


def test_the_signing_key_is_generated_once_outside_the_database(edge) -> None:
    first = proofs.public_key_pem()
    path = proofs.config.key_path()
    assert path.is_file()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert proofs.public_key_pem() == first


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PassportEvent))


def test_refusals_name_the_reason_and_write_nothing(edge) -> None:
    listing = epcis.listing(uri("HL-A"), at=T0, producer=org(1), category="paper.occ", mass_g=10)
    store.record(listing)
    db.session.commit()
    before = _count()
    bad = dict(listing, eventTime="yesterday")
    bad["eventID"] = "ni:///sha-256;" + "1" * 64 + "?ver=hl-jcs-1"
    cases = [
        (bad, Invalid, "event.eventTime"),
        (listing, Conflict, "eventID"),
        (epcis.storing(uri("HL-NOPE"), at=T0, location=SITE), NotFound, "lot"),
    ]
    heavy = epcis.transformation(
        [Portion(uri("HL-A"), 1_000)],
        [Portion(uri("HL-A9"), 900)],
        at=T0,
        kind="sorting",
        input_heads={uri("HL-A"): (1, "0" * 64)},
    )
    heavy["outputQuantityList"][0]["quantity"] = 2.0  # outweighs the 1 kg input
    heavy["eventID"] = epcis.event_id(heavy)
    cases.append((heavy, Invalid, "outputs"))
    bad_gtin = epcis.storing(f"https://{HOST}/01/12345678901234/10/HL-A", at=T0, location=SITE)
    cases.append((bad_gtin, Invalid, "epc[0]"))
    for event, error, field in cases:
        with pytest.raises(error) as caught:
            store.record(event)
        assert field in caught.value.fields, (field, caught.value.fields)
        db.session.rollback()
        assert _count() == before
    assert store.get_lot("HL-A").seq == 1
    with pytest.raises(Invalid):
        store.register_lot("HL-G", gtin="12345678901234")


def test_a_correction_is_a_declaration_and_a_corrective_event(edge) -> None:
    stored = epcis.storing(uri("HL-C"), at=T0, location=SITE, mass_g=1_000)
    store.record(stored)
    fixed = epcis.storing(uri("HL-C"), at=T0 + timedelta(minutes=1), location=SITE, mass_g=990)
    declared, corrective = store.correct(stored["eventID"], fixed, at=T0 + timedelta(minutes=2))
    db.session.commit()
    assert store.get_lot("HL-C").seq == 3
    assert declared.event_id == stored["eventID"]
    assert corrective.event_id == fixed["eventID"]
    events = store.lot_events("HL-C")
    assert events[1]["errorDeclaration"]["correctiveEventIDs"] == [fixed["eventID"]]
    with pytest.raises(Conflict):  # the same event cannot be declared twice
        store.correct(stored["eventID"], fixed, at=T0 + timedelta(minutes=3))
    db.session.rollback()
    assert proofs.verify_lot("HL-C").ok


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_raw_sql_cannot_update_or_delete_append_only_tables(edge, table) -> None:
    replay_world()
    proofs.make_checkpoint()
    db.session.commit()
    columns = sa.inspect(db.engine).get_columns(table)
    column = columns[-1]["name"]
    for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
        with db.engine.connect() as conn:
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                conn.execute(sa.text(statement))
            conn.rollback()
    with db.engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() > 0


def test_cli_verify_checkpoint_export_and_the_scheduled_job(edge, tmp_path) -> None:
    from marketplace.jobs.runner import SCHEDULE, run_scheduled
    from passport.models import PassportCheckpoint

    assert "passport.checkpoint" in SCHEDULE
    run_scheduled("passport.checkpoint")  # an empty log: nothing to sign
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PassportCheckpoint)) == 0
    replay_world()
    run_scheduled("passport.checkpoint")
    run_scheduled("passport.checkpoint")  # nothing new since: no second checkpoint
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PassportCheckpoint)) == 1
    runner = edge.test_cli_runner()
    done = runner.invoke(args=["passport", "verify", "HL-BALE"])
    assert done.exit_code == 0, done.output
    assert "✓ HL-BALE" in done.output
    assert runner.invoke(args=["passport", "verify", "HL-NONE"]).exit_code != 0
    done = runner.invoke(args=["passport", "checkpoint"])
    assert json.loads(done.output)["body"]["tree_size"] == WORLD.ledger.log.size
    out = tmp_path / "b.json"
    assert runner.invoke(args=["passport", "export", "HL-A2", "-o", str(out)]).exit_code == 0
    assert verify_bundle(json.loads(out.read_text())).ok
