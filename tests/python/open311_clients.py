"""Drives the two Open311 clients on PyPI against a running engine, in JSON and XML.

    python open311_clients.py <engine base URL> <platform token>

`georeport` 0.3.1 (reads only): the service list, a service definition, requests listed
and filtered, one request by id. `open311` 1.1 (loaded through `open311_py3`, see there):
the same plus submitting a request and reading it back (also through its token). Every
time must parse with `strptime("%Y-%m-%dT%H:%M:%S%z")`, no reporter detail may show, and
errors must come in the spec's shape. Prints one line per call; exits 1 on any failure.

`open311` 1.1 was written against XML: in JSON its `service_list` always asks for
`services.xml`, and `service_requests` and `request_id_from_token` look for the XML
document's `service_requests`/`request` keys in the answer, which no JSON server can give
(the spec's JSON is an array). In JSON those three are called through the client's own
`call_api` (the same URL building and HTTP), on the JSON routes.
"""

import json
import sys
import traceback
import urllib.error
from datetime import datetime

import requests
from georeport import GeoReport

from open311_py3 import Open311

BASE, KEY = sys.argv[1].rstrip("/"), sys.argv[2]
ENDPOINT = BASE + "/open311/v2"
SECRETS = ["CANARY", "13899990000", "正街18号", "canary@example.org"]
TIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")
results = {"ok": 0, "failed": 0}


def check(name, fn):
    try:
        detail = fn()
        results["ok"] += 1
        print(f"ok    {name}{': ' + detail if detail else ''}")
    except Exception:  # noqa: BLE001 - every failure is reported, then counted
        results["failed"] += 1
        print(f"FAIL  {name}")
        traceback.print_exc(file=sys.stdout)


def as_list(value):
    """XML clients give one element as a dict, several as a list, none as None."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def no_secrets(data):
    text = json.dumps(data, ensure_ascii=False)
    for s in SECRETS:
        assert s not in text, f"{s} leaked: {text}"


def request_ok(r, want_id=None):
    assert r["service_request_id"], r
    if want_id:
        assert r["service_request_id"] == want_id, r
    assert r["status"] in ("open", "closed"), r
    for f in TIME_FIELDS:
        if r.get(f):
            datetime.strptime(r[f], "%Y-%m-%dT%H:%M:%S%z")
    assert r["requested_datetime"], r
    no_secrets(r)


def open311_client(fmt):
    o = Open311(endpoint=ENDPOINT, api_key=KEY, format=fmt)
    tag = f"open311 {fmt}"
    state = {}

    def submit():
        got = o.post_service_request(
            service_code="counterfeit",
            lat="30.02",
            long="115.585",
            address_string="梅川镇正街18号",
            description="梅川镇正街烟酒店疑似销售假冒卷烟，我是CANARY张晓明",
            first_name="晓明",
            last_name="CANARY张",
            phone="13899990000",
            email="canary@example.org",
        )
        r = got[0] if fmt == "json" else got["service_requests"]["request"]
        assert r["service_request_id"].startswith("WX-"), got
        assert r["service_notice"], got
        state["id"] = r["service_request_id"]
        return state["id"]

    def services():
        if fmt == "xml":
            got = as_list(o.service_list())
        else:
            got = o.call_api("services.json", jurisdiction_id=o.jurisdiction)
        codes = [s["service_code"] for s in got]
        assert "counterfeit" in codes and len(codes) > 10, codes
        return f"{len(codes)} services"

    def definition():
        got = o.service_definition("counterfeit")
        d = got if fmt == "json" else got["service_definition"]
        assert d["service_code"] == "counterfeit", got

    def listed():
        if fmt == "xml":
            got = as_list(o.service_requests())
            filtered = as_list(
                o.service_requests(status="open,closed", service_code="counterfeit,late_delivery"))
        else:
            got = o.call_api("requests.json", jurisdiction_id=o.jurisdiction)
            filtered = o.call_api("requests.json", status="open,closed",
                                  service_code="counterfeit,late_delivery")
        for r in got + filtered:
            request_ok(r)
        ids = [r["service_request_id"] for r in got]
        assert state["id"] in ids, ids
        assert state["id"] in [r["service_request_id"] for r in filtered], filtered
        return f"{len(ids)} requests"

    def read_back():
        got = o.get_service_request(state["id"])
        r = got[0] if fmt == "json" else got["service_requests"]["request"]
        request_ok(r, state["id"])
        assert r["service_code"] == "counterfeit" and r["status"] == "open", r

    def token():
        if fmt == "xml":
            r = o.request_id_from_token(state["id"])
        else:
            r = o.call_api(f"tokens/{state['id']}.json", jurisdiction_id=o.jurisdiction)[0]
        assert r["service_request_id"] == state["id"], r

    def bad_key():
        bad = Open311(endpoint=ENDPOINT, api_key="not-a-key", format=fmt)
        try:
            bad.post_service_request(service_code="counterfeit", address_string="梅川镇")
        except urllib.error.HTTPError as e:
            assert e.code == 403, e.code
            body = e.read()
            err = json.loads(body)[0] if fmt == "json" else \
                o._format_data("xml", body)["errors"]["error"]
            assert int(err["code"]) == 403 and err["description"], err
            return "403 in the spec's error shape"
        raise AssertionError("a bad key was accepted")

    check(f"{tag}: submit a request", submit)
    check(f"{tag}: service list", services)
    check(f"{tag}: service definition", definition)
    check(f"{tag}: list and filter requests", listed)
    check(f"{tag}: read the request back", read_back)
    check(f"{tag}: request id from token", token)
    check(f"{tag}: a bad key is refused", bad_key)
    return state.get("id")


def georeport_client(fmt, known_id):
    g = GeoReport(ENDPOINT, output_format=fmt)
    tag = f"georeport {fmt}"

    def services():
        got = as_list(g.get_service_list())
        codes = [s["service_code"] for s in got]
        assert "counterfeit" in codes, codes
        return f"{len(codes)} services"

    def definition():
        d = g.get_service_definition("counterfeit")
        assert d["service_code"] == "counterfeit", d

    def listed():
        got = as_list(g.get_service_requests())
        for r in got:
            request_ok(r)
        assert known_id in [r["service_request_id"] for r in got], got
        return f"{len(got)} requests"

    def filtered():
        got = as_list(g.get_service_requests(status="open", service_code="counterfeit"))
        assert got and all(r["status"] == "open" for r in got), got
        assert all(r["service_code"] == "counterfeit" for r in got), got
        by_id = as_list(g.get_service_requests(service_request_id=known_id))
        assert [r["service_request_id"] for r in by_id] == [known_id], by_id
        both = as_list(g.get_service_requests(status="open,closed",
                                              service_code="counterfeit,late_delivery"))
        assert known_id in [r["service_request_id"] for r in both], both

    def one():
        r = g.get_service_request(known_id)
        request_ok(r, known_id)

    def too_long():
        try:
            g.get_service_requests(start_date="2026-01-01T00:00:00+08:00",
                                   end_date="2026-12-31T00:00:00+08:00")
        except requests.HTTPError as e:
            assert e.response.status_code == 400, e.response.status_code
            assert "charset=utf-8" in e.response.headers["content-type"]
            return "400"
        raise AssertionError("a 365-day range was accepted")

    check(f"{tag}: service list", services)
    check(f"{tag}: service definition", definition)
    check(f"{tag}: list requests", listed)
    check(f"{tag}: filter requests", filtered)
    check(f"{tag}: one request by id", one)
    check(f"{tag}: a range over 90 days is refused", too_long)


def main():
    for fmt in ("json", "xml"):
        known = open311_client(fmt)
        if known:
            georeport_client(fmt, known)
        else:
            results["failed"] += 1
            print(f"FAIL  georeport {fmt}: nothing was submitted to read")
    print(f"open311 clients: {results['ok']} calls ok, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
