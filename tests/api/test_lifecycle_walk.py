"""One application from draft to certified, then the registry and verification — through the API only.

Only the first administrator comes from outside the API (as in production: `flask create-user`).
"""

from __future__ import annotations

from datetime import date, timedelta

from tests import factories as f
from tests.api.helpers import PREFIX, Api, as_user, error_of


def test_an_application_goes_from_draft_to_certified_and_into_the_registry_through_the_api(app, client):
    admin = as_user(client, f.user("admin"))

    # The admin registers the MFI and the people; a reviewer with a board seat at the MFI is conflicted.
    org = admin.post("/organizations", {"name": "Asociación Los Andes de Cajamarca", "country": "PE",
                                        "legal_form": "Asociación civil", "network": "COPEME"})  # fmt: skip
    assert org.status_code == 201, org.get_json()
    org_id = org.get_json()["id"]

    def new_user(role, **extra):
        body = {"email": f"{role}.{len(extra)}.{extra.get('name', '')}@api.example.org".replace(" ", ""),
                "name": extra.pop("name", role.title()), "role": role, "password": f.PASSWORD, **extra}  # fmt: skip
        response = admin.post("/users", body)
        assert response.status_code == 201, response.get_json()
        created = response.get_json()
        assert "password" not in created and "password_hash" not in created
        return created

    applicant = new_user("applicant", name="Rosa Quispe", organization_id=org_id)
    facilitator = new_user("facilitator", name="Facilitadora")
    reviewers = [new_user("reviewer", name=f"Rev {n}", areas=["gender"], countries=["PE"], languages=["es"])
                 for n in (1, 2)]  # fmt: skip
    conflicted = new_user("reviewer", name="Rev conflicted", areas=["gender"], countries=["PE"])
    r = admin.post(f"/users/{conflicted['id']}/affiliations", {"organization_id": org_id, "kind": "board",
                                                              "since": "2020-01-01"})  # fmt: skip
    assert r.status_code == 201, r.get_json()

    def login(user) -> Api:
        response = client.post(PREFIX + "/auth/tokens", json={"email": user["email"], "password": f.PASSWORD})
        assert response.status_code == 201
        return Api(client, response.get_json()["token"])

    mfi, fac = login(applicant), login(facilitator)
    assert mfi.get("/me").get_json()["organization_id"] == org_id

    # Applicant: pick the gender seal, start, self-assess every indicator.
    standards = mfi.get("/standards").get_json()["items"]
    gender = next(s for s in standards if s["area"] == "gender" and s["status"] == "published")
    tree = mfi.get(f"/standards/{gender['id']}").get_json()
    indicators = [i for d in tree["dimensions"] for i in d["indicators"]]
    created = mfi.post("/applications", {"standard_id": gender["id"]})
    assert created.status_code == 201
    application = created.get_json()
    app_id = application["id"]
    assert application["state"] == "draft" and application["organization_id"] == org_id
    assert "submit" in application["allowed_events"]
    for ind in indicators:
        r = mfi.put(
            f"/applications/{app_id}/self-assessment/{ind['code']}",
            {"rating": ind["scale_max"], "explanation": "Política de género aprobada por el directorio."},
        )
        assert r.status_code == 200, r.get_json()

    # Submitting without evidence for the essential indicators fails, naming them.
    r = mfi.post(f"/applications/{app_id}/events", {"event": "submit"})
    assert r.status_code == 409
    essential = [i["code"] for i in indicators if i["essential"]]
    error = error_of(r)
    assert error["code"] == "guard_failed"
    assert all(code in " ".join(error["details"]["unmet"]) for code in essential)
    r = mfi.post(f"/applications/{app_id}/evidence",
                 data={"file": (f.pdf_stream(), "política de género.pdf"), "indicators": ",".join(essential)},
                 content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["content_type"] == "application/pdf" and r.get_json()["indicators"] == essential
    r = mfi.post(f"/applications/{app_id}/events", {"event": "submit"})
    assert r.status_code == 200 and r.get_json()["state"] == "submitted"

    # Facilitator: the conflicted reviewer is refused; two others invited; a pilot round opened and joined.
    r = fac.post(f"/applications/{app_id}/assignments", {"reviewer_id": conflicted["id"]})
    assert r.status_code == 409 and error_of(r)["code"] == "conflict_of_interest"
    due = (date.today() + timedelta(days=14)).isoformat()
    for reviewer in reviewers:
        r = fac.post(f"/applications/{app_id}/assignments", {"reviewer_id": reviewer["id"], "due_on": due})
        assert r.status_code == 201 and r.get_json()["status"] == "invited"
    r = fac.post("/pilot-rounds", {"name": "Piloto Perú género 2026", "country": "PE", "area": "gender",
                                   "opens_on": "2026-01-01", "closes_on": "2026-12-31", "capacity": 5})  # fmt: skip
    assert r.status_code == 201 and r.get_json()["status"] == "planned"
    round_id = r.get_json()["id"]
    assert fac.post(f"/pilot-rounds/{round_id}/status", {"status": "open"}).status_code == 200
    r = fac.post(f"/pilot-rounds/{round_id}/applications", {"application_id": app_id})
    assert r.status_code == 201 and r.get_json()["pilot_round_id"] == round_id
    r = fac.post(f"/applications/{app_id}/events", {"event": "start_review"})
    assert r.status_code == 409 and error_of(r)["code"] == "guard_failed", "nobody has accepted yet"

    # Reviewers find their invitation and accept it, declaring no conflict.
    tokens = []
    for reviewer in reviewers:
        rev = login(reviewer)
        tokens.append(rev)
        mine = rev.get("/assignments").get_json()["items"]
        assert [a["application_id"] for a in mine] == [app_id]
        r = rev.post(f"/assignments/{mine[0]['id']}/accept", {"no_conflict": True})
        assert r.status_code == 200 and r.get_json()["status"] == "accepted"

    assert fac.post(f"/applications/{app_id}/events", {"event": "start_review"}).get_json()["state"] == "under_review"
    assert fac.post(f"/pilot-rounds/{round_id}/status", {"status": "in_progress"}).status_code == 200

    # Reviewers score every indicator with a comment and submit.
    for rev, score_for in zip(tokens, (lambda i: i["scale_max"], lambda i: i["scale_max"] - 1), strict=True):
        assignment_id = rev.get("/assignments").get_json()["items"][0]["id"]
        r = rev.post(f"/assignments/{assignment_id}/submit")
        assert r.status_code == 409 and error_of(r)["code"] == "guard_failed", "not everything is scored yet"
        for ind in indicators:
            r = rev.put(
                f"/assignments/{assignment_id}/scores/{ind['code']}",
                {"score": score_for(ind), "comment": "Verificado en actas del directorio."},
            )
            assert r.status_code == 200, r.get_json()
        r = rev.post(f"/assignments/{assignment_id}/submit")
        assert r.status_code == 200 and r.get_json()["status"] == "submitted"

    # Facilitator: the score, the end of the pilot, the decision.
    score = fac.get(f"/applications/{app_id}/score").get_json()
    assert score["eligible"] is True and score["overall"] > 80
    assert mfi.get(f"/applications/{app_id}/score").status_code == 403, "not before the decision"
    assert fac.post(f"/applications/{app_id}/events", {"event": "complete_pilot"}).get_json()["state"] == "piloted"
    r = fac.post(f"/applications/{app_id}/events", {"event": "certify"})
    assert r.status_code == 200, r.get_json()
    certified = r.get_json()
    assert certified["state"] == "certified" and certified["certificate"]["status"] == "valid"
    assert mfi.get(f"/applications/{app_id}/score").status_code == 200, "the MFI sees it after the decision"

    # Public: the registry lists it and the code verifies, with no token at all.
    public = Api(client)
    registry = public.get("/registry").get_json()
    entry = next(e for e in registry["items"] if e["number"] == certified["certificate"]["number"])
    assert entry["organization"] == "Asociación Los Andes de Cajamarca" and entry["country"] == "PE"
    assert entry["level"] == score["level"]
    verified = public.get(f"/certificates/{certified['certificate']['code']}").get_json()
    assert verified["status"] == "valid" and verified["number"] == certified["certificate"]["number"]

    history = mfi.get(f"/applications/{app_id}/history").get_json()["items"]
    assert [h["event"] for h in history] == ["create", "submit", "start_review", "complete_pilot", "certify"]
