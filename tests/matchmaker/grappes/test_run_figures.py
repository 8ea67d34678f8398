"""The console campaign's expected run size (issue 13) is counted in the database (issue
14: gathering every candidate took seconds nationally) by the same rules as the run's own
gathering of candidates."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matchmaker.grappes.candidates import gather_candidates
from matchmaker.grappes.run_figures import interest_count
from matchmaker.grappes.scope import campaign_scope
from matchmaker.models import Embarkation
from tests.factories import make_campaign, make_declaration, make_establishment, make_organisation


def test_the_count_is_the_gathered_candidates(db_session: Session) -> None:
    campaign = make_campaign(db_session, departments=["31", "09"])
    other = make_campaign(db_session, "Autre campagne", departments=["31", "09"])
    og = make_organisation(db_session)

    def declared(**values: object) -> None:
        department = str(values.pop("department", "31"))
        coordinates = values.pop("coordinates", True)
        establishment = make_establishment(
            db_session,
            og,
            department=department,
            latitude=43.6 if coordinates else None,
            longitude=1.44 if coordinates else None,
            is_open=bool(values.pop("is_open", True)),
            is_essms=bool(values.pop("is_essms", True)),
        )
        if values.pop("embarked", False):
            db_session.add(Embarkation(finess_et=establishment.finess_et, scheme="esms_numerique"))
        if values.pop("sons", False):
            db_session.add(Embarkation(finess_et=establishment.finess_et, scheme="sons"))
        target = other if values.pop("elsewhere", False) else campaign
        make_declaration(db_session, target, establishment, **values)

    for _ in range(3):
        declared()  # candidates
    declared(department="09")  # candidate
    declared(sons=True)  # candidate: SONS funds no grappe
    declared(interested=None)  # candidate: interest not withdrawn
    declared(interested=False)  # withdrew
    declared(already_funded=True)  # funded, by its declaration
    declared(embarked=True)  # funded, by the embarkation list
    declared(coordinates=False)  # cannot be placed
    declared(is_open=False)  # closed
    declared(is_essms=False)  # not an ESSMS
    declared(department="46")  # out of the campaign's scope
    declared(elsewhere=True)  # another campaign's
    declared(is_current=False)  # superseded
    make_establishment(db_session, og)  # never declared
    db_session.flush()

    gathered = gather_candidates(
        db_session,
        campaign_id=campaign.id,
        mode="interest",
        departments=campaign_scope(campaign),
    )
    assert len(gathered.candidates) == 6
    assert interest_count(db_session, campaign) == 6
