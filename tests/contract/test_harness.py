"""The contract harness itself: it passes what Jira sends and fails what breaks the contract.

These run without the sandbox, on hand-built exchanges, so that a green contract suite means
something: each check here is a way the harness is shown able to fail.
"""

from __future__ import annotations

from pathlib import Path

import jira
import pytest
import responses

from tests.contract.fabricated import AUTH, BASE, adf, exchange, issue, worklog
from tests.support import contract as contract_plugin
from tests.support.contract import (
    ContractRecorder,
    ContractValidator,
    ContractViolation,
    Deployment,
    JiraContracts,
)
from tests.support.contract_deviations import (
    ALLOWED_DEVIATIONS,
    ANY_PATH,
    Allowance,
    UndocumentedStatus,
)
from tests.support.contract_specs import (
    ContractsUnavailable,
    is_jira_date_time,
    load_jira_contracts,
)

ISSUE = "/rest/api/2/issue/CSP-1"
ISSUE_V3 = "/rest/api/3/issue/CSP-1"


@pytest.fixture
def cloud(jira_contracts: JiraContracts) -> ContractValidator:
    return ContractValidator(jira_contracts, Deployment.CLOUD)


@pytest.fixture
def dc(jira_contracts: JiraContracts) -> ContractValidator:
    return ContractValidator(jira_contracts, Deployment.DATA_CENTER)


def failures(validator: ContractValidator, *args: object, **kwargs: object) -> list[str]:
    request, response = exchange(*args, **kwargs)  # type: ignore[arg-type]
    return [str(v) for v in validator.check(request, response).violations]


# -- bodies ------------------------------------------------------------------------------------


def test_an_issue_as_jira_answers_it_passes(cloud: ContractValidator) -> None:
    request, response = exchange("GET", ISSUE + "?fields=summary,labels", 200, issue())
    exchange_ = cloud.validate(request, response)
    assert exchange_.operation == "/rest/api/2/issue/{issueIdOrKey}"


def test_an_issue_without_id_fails_naming_method_path_and_field(cloud: ContractValidator) -> None:
    request, response = exchange("GET", ISSUE, 200, issue(id=None))
    with pytest.raises(ContractViolation) as raised:
        cloud.validate(request, response)
    message = str(raised.value)
    assert "GET /rest/api/2/issue/CSP-1" in message
    assert "'id' is a required property" in message


def test_an_issue_id_of_the_wrong_type_fails(cloud: ContractValidator) -> None:
    (message,) = failures(cloud, "GET", ISSUE, 200, issue(id=10001))
    assert "at $.id: 10001 is not of type 'string'" in message


def test_a_property_the_contract_does_not_have_fails(cloud: ContractValidator) -> None:
    (message,) = failures(cloud, "GET", ISSUE, 200, issue(sandboxOnly=True))
    assert "'sandboxOnly' was unexpected" in message


def test_a_search_page_without_issues_fails(cloud: ContractValidator) -> None:
    (message,) = failures(cloud, "GET", "/rest/api/2/search/jql?jql=x", 200, {"isLast": True})
    assert "'issues' is a required property" in message


def test_v2_rich_text_must_be_a_string(cloud: ContractValidator) -> None:
    body = issue(fields={"summary": "s", "description": adf("hello")})
    (message,) = failures(cloud, "GET", ISSUE, 200, body)
    assert "at $.fields.description" in message


def test_v3_rich_text_must_be_adf_not_a_string(cloud: ContractValidator) -> None:
    assert failures(cloud, "GET", ISSUE_V3, 200, issue(fields={"description": adf("hi")})) == []
    assert failures(cloud, "GET", ISSUE_V3, 200, issue(fields={"description": None})) == []
    (message,) = failures(cloud, "GET", ISSUE_V3, 200, issue(fields={"description": "hi"}))
    assert "at $.fields.description: 'hi' is not of type 'object'" in message


def test_v3_comment_sent_as_a_string_fails_the_request(cloud: ContractValidator) -> None:
    comment = {"id": "1", "body": adf("ok")}
    path = ISSUE_V3 + "/comment"
    assert failures(cloud, "POST", path, 201, comment, json_body={"body": adf("ok")}) == []
    (message,) = failures(cloud, "POST", path, 201, comment, json_body={"body": "plain"})
    assert "request" in message and "at $.body" in message


def test_a_v3_adf_document_must_have_its_version(cloud: ContractValidator) -> None:
    document = {"type": "doc", "content": []}
    (message,) = failures(cloud, "GET", ISSUE_V3, 200, issue(fields={"description": document}))
    assert "'version' is a required property" in message


def test_worklog_comment_is_a_string_in_v2_and_adf_in_v3(cloud: ContractValidator) -> None:
    v2 = ISSUE + "/worklog/20001"
    v3 = ISSUE_V3 + "/worklog/20001"
    assert failures(cloud, "GET", v2, 200, worklog()) == []
    assert failures(cloud, "GET", v3, 200, worklog(comment=adf("Checked"))) == []
    assert failures(cloud, "GET", v3, 200, worklog())


# -- statuses, paths and errors ----------------------------------------------------------------


def test_an_undocumented_status_fails(cloud: ContractValidator) -> None:
    (message,) = failures(cloud, "GET", ISSUE, 418, {"errorMessages": ["teapot"], "errors": {}})
    assert "status 418 is not a documented answer" in message


def test_a_path_the_contract_does_not_know_fails(cloud: ContractValidator) -> None:
    (message,) = failures(cloud, "GET", "/rest/api/2/nonsense", 200, {})
    assert message.startswith("GET /rest/api/2/nonsense: path:")
    (message,) = failures(cloud, "GET", "/secure/attachment/1/a.txt", 200, b"abc")
    assert "no Jira REST contract covers this path" in message


def test_a_method_the_contract_does_not_have_fails(cloud: ContractValidator) -> None:
    (message,) = failures(cloud, "PATCH", ISSUE, 204)
    assert "method not in the Jira Cloud REST v2 contract" in message


def test_sandbox_admin_paths_are_exempt(cloud: ContractValidator) -> None:
    request, response = exchange("POST", "/_sandbox/reset", 204)
    assert cloud.validate(request, response).exempt


def test_error_bodies_must_be_jiras_error_collection(cloud: ContractValidator) -> None:
    jira_404 = {"errorMessages": ["Issue does not exist or you do not have permission to see it."]}
    assert failures(cloud, "GET", ISSUE, 404, {**jira_404, "errors": {}}) == []
    (message,) = failures(cloud, "GET", ISSUE, 404, {"message": "not found"})
    assert "not an ErrorCollection" in message
    (message,) = failures(cloud, "GET", ISSUE, 404, b"<html>", content_type="text/html")
    assert "not JSON" in message
    (message,) = failures(cloud, "GET", ISSUE, 404, {"errors": {"labels": 7}})
    assert "at $.errors.labels" in message


def test_request_parameters_are_checked(cloud: ContractValidator) -> None:
    (message,) = failures(
        cloud, "GET", "/rest/api/2/search/jql?maxResults=lots", 200, {"issues": []}
    )
    assert "maxResults" in message


# -- allowed deviations, each narrow -----------------------------------------------------------


def test_jira_date_time_without_colon_is_accepted_and_nonsense_is_not() -> None:
    assert is_jira_date_time("2026-11-25T10:00:00.000+0000")
    assert is_jira_date_time("2026-11-25T10:00:00.000+01:00")
    assert is_jira_date_time("2026-11-25T10:00:00Z")
    assert not is_jira_date_time("2026-11-25 10:00")
    assert not is_jira_date_time("2026-02-30T10:00:00.000+0000")
    assert not is_jira_date_time("2026-11-25T10:00:00.000+2500")
    assert not is_jira_date_time("1732528800000")


def test_a_response_date_time_in_another_form_fails(cloud: ContractValidator) -> None:
    (message,) = failures(cloud, "GET", ISSUE + "/worklog/1", 200, worklog(started="25/11/2026"))
    assert "at $.started: '25/11/2026' is not a 'date-time'" in message


def test_validate_query_python_bool_is_read_as_lowercase_only_on_cloud_search(
    cloud: ContractValidator, dc: ContractValidator
) -> None:
    gone = {"errorMessages": ["The requested API has been removed."], "errors": {}}
    request, response = exchange("GET", "/rest/api/2/search?jql=x&validateQuery=True", 410, gone)
    assert cloud.validate(request, response).allowances == (
        "validateQuery-python-bool",
        "cloud-search-410",
    )
    assert failures(cloud, "GET", "/rest/api/2/search?jql=x&validateQuery=Maybe", 410, gone)
    # The DC file types validateQuery boolean, which reads `True` as it is: no allowance used.
    page = {"startAt": 0, "maxResults": 50, "total": 0, "issues": []}
    request, response = exchange("GET", "/rest/api/2/search?jql=x&validateQuery=True", 200, page)
    assert dc.validate(request, response).allowances == ()
    assert failures(dc, "GET", "/rest/api/2/search?jql=x&validateQuery=Maybe", 200, page)


def test_time_spent_seconds_as_digit_string_is_read_as_integer_only(
    cloud: ContractValidator,
) -> None:
    path = ISSUE + "/worklog?adjustEstimate=auto"
    sent = {"timeSpentSeconds": "3600", "started": "2026-11-25T10:00:00.000+0000"}
    request, response = exchange("POST", path, 201, worklog(), json_body=sent)
    assert cloud.validate(request, response).allowances == ("timeSpentSeconds-string",)
    nonsense = {**sent, "timeSpentSeconds": "1h"}
    (message,) = failures(cloud, "POST", path, 201, worklog(), json_body=nonsense)
    assert "at $.timeSpentSeconds: '1h' is not of type 'integer'" in message


def test_cloud_search_410_is_allowed_only_on_cloud_and_only_with_jiras_body(
    cloud: ContractValidator, dc: ContractValidator
) -> None:
    gone = {"errorMessages": ["The requested API has been removed."], "errors": {}}
    request, response = exchange("GET", "/rest/api/2/search?jql=x", 410, gone)
    assert cloud.validate(request, response).allowances == ("cloud-search-410",)
    (message,) = failures(cloud, "GET", "/rest/api/2/search?jql=x", 410)
    assert "410 without Jira's error body" in message
    assert failures(dc, "GET", "/rest/api/2/search?jql=x", 410, gone)
    assert failures(cloud, "GET", ISSUE, 410, gone)


def test_data_center_search_is_checked_against_the_dc_parameters(dc: ContractValidator) -> None:
    page = {"startAt": 0, "maxResults": 50, "total": 0, "issues": []}
    path = "/rest/api/2/search?jql=project%3DCSP&startAt=0&maxResults=50&fields=*all"
    request, response = exchange("GET", path, 200, page)
    assert dc.validate(request, response).operation == "/rest/api/2/search"
    (message,) = failures(dc, "GET", "/rest/api/2/search?startAt=first", 200, page)
    assert "startAt" in message
    (message,) = failures(dc, "GET", "/rest/api/2/search", 200, {"issues": []})
    assert "'total' is a required property" in message


def test_data_center_has_no_search_jql_and_no_v3(dc: ContractValidator) -> None:
    request, response = exchange("GET", "/rest/api/2/search/jql?jql=x", 404)
    assert dc.validate(request, response).allowances == ("datacenter-search-jql-404",)
    (message,) = failures(dc, "GET", "/rest/api/2/search/jql?jql=x", 200, {"issues": []})
    assert "path not in the Jira Data Center 10.3 REST v2 contract" in message
    (message,) = failures(dc, "GET", ISSUE_V3, 200, issue())
    assert "no Jira REST contract covers this path" in message


def test_rate_limit_429_needs_the_test_to_claim_it_and_a_retry_after(
    jira_contracts: JiraContracts,
) -> None:
    body = {"errorMessages": ["Rate limit exceeded."], "errors": {}}
    plain = ContractValidator(jira_contracts)
    assert failures(plain, "GET", ISSUE, 429, body, response_headers={"Retry-After": "1"})
    claimed = ContractValidator(jira_contracts, opt_ins={"rate-limit"})
    assert not failures(claimed, "GET", ISSUE, 429, body, response_headers={"Retry-After": "1"})
    (message,) = failures(claimed, "GET", ISSUE, 429, body)
    assert "429 without Retry-After header" in message


def test_a_5xx_fails_unless_the_test_injected_faults(jira_contracts: JiraContracts) -> None:
    assert failures(ContractValidator(jira_contracts), "GET", ISSUE, 500, b"")
    injected = ContractValidator(jira_contracts, opt_ins={"faults"})
    assert not failures(injected, "GET", ISSUE, 503, b"")


def test_attachment_upload_must_be_a_form_with_a_file_part_and_the_xsrf_header(
    cloud: ContractValidator,
) -> None:
    path = ISSUE + "/attachments"
    answer = [{"id": "30001", "filename": "df.txt", "size": 3, "mimeType": "text/plain"}]
    files = {"file": ("df.txt", b"abc", "text/plain")}
    xsrf = {"X-Atlassian-Token": "no-check"}
    assert failures(cloud, "POST", path, 200, answer, files=files, headers=xsrf) == []
    (message,) = failures(cloud, "POST", path, 200, answer, files=files)
    assert "X-Atlassian-Token" in message
    wrong_part = {"upload": ("df.txt", b"abc", "text/plain")}
    (message,) = failures(cloud, "POST", path, 200, answer, files=wrong_part, headers=xsrf)
    assert "no 'file' part" in message


def test_every_allowed_deviation_is_reasoned_and_none_is_wholesale() -> None:
    keys = [entry.key for entry in ALLOWED_DEVIATIONS]
    assert len(keys) == len(set(keys))
    for entry in ALLOWED_DEVIATIONS:
        assert len(entry.reason) > 80, entry.key
        if isinstance(entry, Allowance) and ANY_PATH in entry.paths:
            # Any-path allowances exist only for statuses a test must claim it caused.
            assert isinstance(entry, UndocumentedStatus) and entry.opt_in, entry.key


# -- the v2 contract and the loader ------------------------------------------------------------


def test_the_v2_contract_mirrors_every_v3_path(jira_contracts: JiraContracts) -> None:
    v3 = set((jira_contracts.cloud_v3 / "paths").str_keys())
    v2 = set((jira_contracts.cloud_v2 / "paths").str_keys())
    assert {p.replace("/rest/api/3/", "/rest/api/2/", 1) for p in v3} == v2
    assert not any(p.startswith("/rest/api/3/") for p in v2)


def test_contracts_load_once_per_process(jira_contracts: JiraContracts) -> None:
    assert load_jira_contracts(jira_contracts.directory) is jira_contracts


def test_a_contracts_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "jira-cloud-platform-v3.openapi.json").write_text("{}")
    (tmp_path / "SHA256SUMS").write_text("0" * 64 + "  jira-cloud-platform-v3.openapi.json\n")
    with pytest.raises(ContractsUnavailable, match="does not match"):
        load_jira_contracts(tmp_path)


def test_missing_contracts_skip_with_where_to_look_and_fail_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CONTRACTS_DIR", str(tmp_path / "absent"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="CSP_CONTRACTS_DIR") as skipped:
        contract_plugin.require_jira_contracts()
    assert str(tmp_path / "absent") in str(skipped.value)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        contract_plugin.require_jira_contracts()


def test_the_default_location_is_shared_contracts_beside_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CSP_CONTRACTS_DIR", raising=False)
    root = Path(contract_plugin.__file__).resolve().parents[2]
    assert contract_plugin.contracts_dir() == (root.parent / "shared" / "contracts").resolve()


# -- the recorder ------------------------------------------------------------------------------


CLOUD_SERVER_INFO = {
    "baseUrl": BASE,
    "deploymentType": "Cloud",
    "version": "1001.0.0-SNAPSHOT",
    "versionNumbers": [1001, 0, 0],
    "buildNumber": 100280,
    "serverTitle": "Jira",
}


@responses.activate
def test_the_recorder_sees_every_exchange_of_a_jira_client(jira_contracts: JiraContracts) -> None:
    responses.get(f"{BASE}/rest/api/2/serverInfo", json=CLOUD_SERVER_INFO)
    responses.get(f"{BASE}/rest/api/2/issue/CSP-1", json=issue())
    responses.get(f"{BASE}/rest/api/2/issue/CSP-2", json=issue(key="CSP-2", id=10002))
    client = jira.JIRA(server=BASE, basic_auth=AUTH, max_retries=0)
    recorder = ContractRecorder(jira_contracts)
    recorder.attach(client)
    client.server_info()
    client.issue("CSP-1")
    client.issue("CSP-2")
    recorder.detach_all()
    assert recorder.operations() == {
        ("GET", "/rest/api/2/serverInfo"),
        ("GET", "/rest/api/2/issue/{issueIdOrKey}"),
    }
    with pytest.raises(ContractViolation, match=r"GET /rest/api/2/issue/CSP-2 .*\$\.id"):
        recorder.assert_clean()
    assert len(recorder.violations) == 1


@responses.activate
def test_the_recorder_flags_paths_the_contract_does_not_know(
    jira_contracts: JiraContracts,
) -> None:
    import requests

    responses.get(f"{BASE}/rest/api/2/made-up", json={})
    responses.post(f"{BASE}/_sandbox/reset", status=204)
    session = requests.Session()
    recorder = ContractRecorder(jira_contracts)
    recorder.attach(session, deployment=Deployment.CLOUD)
    session.post(f"{BASE}/_sandbox/reset")
    session.get(f"{BASE}/rest/api/2/made-up")
    assert [e.path for e in recorder.violations] == ["/rest/api/2/made-up"]
    recorder.detach_all()
    assert session.hooks["response"] == []


def test_an_empty_204_passes_only_where_jira_sends_none(cloud: ContractValidator) -> None:
    request, response = exchange("PUT", ISSUE, 204, json_body={"fields": {"summary": "s"}})
    assert cloud.validate(request, response).allowances == ("204-without-body",)
    (message,) = failures(cloud, "POST", "/rest/api/2/issue", 201, json_body={"fields": {}})
    assert "Missing response data" in message


def test_a_search_hit_may_carry_only_its_id_but_not_less(cloud: ContractValidator) -> None:
    path = "/rest/api/2/search/jql?jql=x"
    assert failures(cloud, "GET", path, 200, {"issues": [{"id": "10001"}], "isLast": True}) == []
    (message,) = failures(cloud, "GET", path, 200, {"issues": [{"key": "CSP-1"}], "isLast": True})
    assert "at $.issues[0]: 'id' is a required property" in message


def test_data_center_group_members_take_the_group_name_from_the_query(
    dc: ContractValidator,
) -> None:
    page = {"values": [], "startAt": 0, "maxResults": 50, "total": 0, "isLast": True}
    path = "/rest/api/2/group/member"
    assert failures(dc, "GET", path + "?groupname=csp-staff", 200, page) == []
    (message,) = failures(dc, "GET", path, 200, page)
    assert "groupname" in message


def test_data_center_takes_basic_or_a_bearer_token_and_nothing_else(
    dc: ContractValidator,
) -> None:
    me = {"name": "csp-sync", "self": f"{BASE}/rest/api/2/user?username=csp-sync"}
    path = "/rest/api/2/myself"
    assert failures(dc, "GET", path, 200, me) == []
    bearer = {"Authorization": "Bearer csp-sync-token"}
    assert failures(dc, "GET", path, 200, me, headers=bearer, auth=None) == []
    (message,) = failures(dc, "GET", path, 200, me, auth=None)
    assert "Security not found" in message


@responses.activate
def test_a_fault_in_the_harness_fails_the_test_not_the_client_call(
    jira_contracts: JiraContracts, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ContractValidator, "check", broken)
    responses.get(f"{BASE}/rest/api/2/myself", json={"accountId": "1"})
    session = requests.Session()
    recorder = ContractRecorder(jira_contracts)
    recorder.attach(session)
    assert session.get(f"{BASE}/rest/api/2/myself").status_code == 200
    with pytest.raises(ContractViolation, match="harness: could not be checked: RuntimeError"):
        recorder.assert_clean()
