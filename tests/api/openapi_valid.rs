//! The served OpenAPI document is valid: `openapi-spec-validator` (the Python package the
//! test script installs into `target/pyenv`, run as `$HOTLINE_PYTHON`) finds no error, every
//! operation has a unique id and an example, and every response a description. The
//! AsyncAPI document of the sockets parses and names every frame type the code defines. The
//! OpenAPI document lists every error code of the table with its status.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{send, spawn_app};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The interpreter with the tests' Python packages; a missing one fails the test.
fn python() -> String {
    match std::env::var("HOTLINE_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => panic!(
            "HOTLINE_PYTHON is not set: run the tests through scripts/test.sh, which creates \
             target/pyenv with tests/python/requirements.txt and exports it"
        ),
    }
}

async fn served_document() -> Value {
    let app = spawn_app().await;
    let (s, spec) = send(
        &app.client,
        app.client.get(format!("{}/openapi.json", app.base)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
    spec
}

/// Every operation in the document: (method, path, operation).
fn operations(spec: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m.to_string(), path.clone(), op));
            }
        }
    }
    out
}

fn has_example(content: &Value) -> bool {
    content.as_object().is_some_and(|types| {
        types
            .values()
            .any(|c| c.get("example").is_some_and(|e| !e.is_null()) || c.get("examples").is_some())
    })
}

#[actix_web::test]
async fn openapi_document_validates_with_no_errors() {
    let python = python();
    let spec = served_document().await;
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("openapi.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&spec).expect("serialise"))
        .expect("write the document");
    let script = "import json, sys\n\
try:\n    from openapi_spec_validator.shortcuts import get_validator_cls\n\
except ImportError as e:\n    print('MISSING', e); sys.exit(3)\n\
spec = json.load(open(sys.argv[1]))\n\
errors = list(get_validator_cls(spec)(spec).iter_errors())\n\
print('ERRORS', len(errors))\n\
for e in errors[:15]:\n    print('-', '/'.join(str(p) for p in e.path), ':', str(e.message)[:300])\n";
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} ({e}): run the tests through scripts/test.sh")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.starts_with("MISSING"),
        "openapi-spec-validator is not installed in {python}: run scripts/test.sh ({stdout})"
    );
    assert!(
        out.status.success(),
        "the validator did not run: {stdout}\n{stderr}"
    );
    assert!(
        stdout.starts_with("ERRORS 0"),
        "the served document ({}) is invalid:\n{stdout}",
        path.display()
    );
}

#[actix_web::test]
async fn openapi_operations_have_unique_ids_examples_and_described_responses() {
    let spec = served_document().await;
    let ops = operations(&spec);
    assert!(ops.len() > 60, "the API's routes are documented");
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (method, path, op) in &ops {
        let route = format!("{} {path}", method.to_uppercase());
        match op["operationId"].as_str() {
            Some(id) => ids.entry(id.to_string()).or_default().push(route.clone()),
            None => problems.push(format!("{route}: no operationId")),
        }
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        if responses.is_empty() {
            problems.push(format!("{route}: no responses"));
        }
        for (status, r) in &responses {
            if r["description"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{route}: response {status} has no description"));
            }
        }
        let body_example = op.get("requestBody").map(|b| has_example(&b["content"]));
        let response_example = responses
            .iter()
            .filter(|(s, _)| s.starts_with('2'))
            .any(|(_, r)| has_example(&r["content"]));
        let param_example = op["parameters"].as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| p.get("example").is_some_and(|e| !e.is_null()))
        });
        if body_example == Some(false) {
            problems.push(format!("{route}: request body without an example"));
        }
        let success_has_body = responses
            .iter()
            .any(|(s, r)| s.starts_with('2') && r.get("content").is_some());
        if success_has_body && !response_example {
            problems.push(format!("{route}: success response without an example"));
        }
        if !success_has_body && body_example.is_none() && !param_example && !response_example {
            problems.push(format!("{route}: no example at all"));
        }
    }
    for (id, routes) in &ids {
        if routes.len() > 1 {
            problems.push(format!("operationId `{id}` used by {routes:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[actix_web::test]
async fn operations_and_sockets_are_documented() {
    let spec = served_document().await;
    for (method, path) in [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/asyncapi.yaml"),
        ("post", "/open311/v2/requests.json"),
    ] {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    let form = &spec["paths"]["/open311/v2/requests.json"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"];
    assert!(form["schema"].is_object(), "the Open311 form has a schema");
}

/// The string literals of `src` between the line starting `from` and the next line that is
/// a lone `}` (a function's body).
fn literals_in(src: &str, from: &str) -> Vec<String> {
    let body = src
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(from))
        .take_while(|l| *l != "}" && *l != "    }");
    body.flat_map(|l| {
        l.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect::<Vec<_>>()
    })
    .collect()
}

/// The `type` tags of the frames the code defines, read from the Rust source: the tagged
/// enums' variants, the ticket frames' types and the event names sent as they are.
fn frame_types() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in ["src/api/ws/frames.rs", "src/api/ws/protocol.rs"] {
        let src = std::fs::read_to_string(file).expect("read the frames");
        for line in src.lines() {
            if let Some(rest) = line.trim().strip_prefix("#[serde(rename = \"") {
                let tag = rest.split('"').next().unwrap_or_default();
                if tag != "type" {
                    out.insert(tag.to_string());
                }
            }
        }
    }
    let frames = std::fs::read_to_string("src/api/ws/frames.rs").expect("frames");
    out.extend(
        literals_in(&frames, "pub fn frame_type")
            .into_iter()
            .filter(|t| t.starts_with("ticket.") && t != "ticket.received"),
    );
    let events = std::fs::read_to_string("src/domain/ticket/event.rs").expect("events");
    out.extend(
        literals_in(&events, "pub fn name(&self)")
            .into_iter()
            .filter(|t| {
                ["offer.", "sla.", "group."]
                    .iter()
                    .any(|p| t.starts_with(p))
                    || t == "alert"
            }),
    );
    out
}

/// Every `$ref` in `v`.
fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_string()),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// The AsyncAPI document as JSON (YAML read by the tests' Python).
fn asyncapi_json(path: &str) -> Value {
    let python = python();
    let out = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            path,
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}): run scripts/test.sh"));
    assert!(
        out.status.success(),
        "{path} is not valid YAML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the YAML")
}

#[actix_web::test]
async fn asyncapi_document_parses_and_names_every_frame_type() {
    let text = std::fs::read_to_string("docs/asyncapi.yaml").expect("docs/asyncapi.yaml");
    let doc = asyncapi_json("docs/asyncapi.yaml");
    assert!(doc["asyncapi"].as_str().is_some_and(|v| v.starts_with('3')));
    let channels = doc["channels"].as_object().expect("channels");
    let addresses: BTreeSet<&str> = channels
        .values()
        .filter_map(|c| c["address"].as_str())
        .collect();
    for socket in ["/ws/vehicle", "/ws/console", "/ws/field", "/ws/board"] {
        assert!(addresses.contains(socket), "{socket} has a channel");
    }
    let messages = doc["components"]["messages"].as_object().expect("messages");
    let mut named = BTreeSet::new();
    for m in messages.values() {
        assert!(
            m["payload"].is_object(),
            "every message has a payload schema"
        );
        if let Some(t) = m["payload"]["properties"]["type"]["const"].as_str() {
            named.insert(t.to_string());
        }
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let pointer = r.strip_prefix('#').unwrap_or(r);
        assert!(doc.pointer(pointer).is_some(), "`{r}` resolves");
    }
    let types = frame_types();
    assert!(
        types.len() > 20,
        "frame types read from the source: {types:?}"
    );
    let missing: Vec<_> = types.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "frame types without a message: {missing:?}"
    );

    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/asyncapi.yaml", app.base))
        .send()
        .await
        .expect("asyncapi");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap_or_default(), text);
    app.stop().await;
}

#[actix_web::test]
async fn openapi_lists_every_error_code_with_its_status() {
    use hotline_dispatch::domain::error_code::ErrorCode;
    let spec = served_document().await;
    let listed: Vec<(String, Value)> = spec["x-error-codes"]
        .as_array()
        .expect("x-error-codes")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().expect("code").to_owned(),
                c["status"].clone(),
            )
        })
        .collect();
    let table: Vec<(String, Value)> = ErrorCode::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_owned(),
                serde_json::json!(c.class().http_status()),
            )
        })
        .collect();
    assert_eq!(listed, table);
    assert!(listed.contains(&("report_incomplete".into(), serde_json::json!(422))));
    let description = spec["info"]["description"].as_str().expect("description");
    assert!(
        description.contains("| `illegal_transition` | 409 |"),
        "{description}"
    );
}

/// Every caller step of the domain's table is served and documented from its row: a POST
/// route named after the step, its roles, its body schema (none for a step that reads no
/// body) and the lifecycle errors; and a console may send it unless it is a field step.
#[actix_web::test]
async fn every_caller_step_has_its_route_and_operation_from_the_table() {
    use hotline_dispatch::domain::ticket::steps::{self, BodyRule, CallerStep, StepVisitor};
    use hotline_dispatch::service::tickets::Action;

    struct Rows(Vec<(&'static str, Option<String>, bool)>);
    impl StepVisitor for Rows {
        fn caller<S: CallerStep>(&mut self) {
            let body = (S::BODY != BodyRule::Ignored)
                .then(|| <S::Body as utoipa::ToSchema>::name().into_owned());
            self.0
                .push((S::INFO.name, body, S::BODY == BodyRule::Required));
        }
    }
    let mut rows = Rows(Vec::new());
    steps::visit(&mut rows);
    let spec = served_document().await;
    // The lifecycle operations are the caller steps and the three actions of their own.
    let mut documented: Vec<String> = operations(&spec)
        .into_iter()
        .filter(|(method, _, op)| method == "post" && op["tags"][0] == "lifecycle")
        .map(|(_, path, _)| path)
        .collect();
    documented.sort();
    let mut expected: Vec<String> = rows
        .0
        .iter()
        .map(|(name, _, _)| format!("/api/v1/tickets/{{id}}/{name}"))
        .chain(
            ["dispatch", "dispatch/cancel", "merge"].map(|a| format!("/api/v1/tickets/{{id}}/{a}")),
        )
        .collect();
    expected.sort();
    assert_eq!(documented, expected);
    for (name, body, required) in rows.0 {
        let path = format!("/api/v1/tickets/{{id}}/{name}");
        let op = &spec["paths"][&path]["post"];
        assert!(op.is_object(), "{path} is documented");
        let info = steps::find(name).expect("a row of the table");
        let roles: Vec<&str> = info.roles.iter().map(|r| r.as_str()).collect();
        assert_eq!(op["description"], format!("Roles: {}.", roles.join(", ")));
        assert_eq!(op["summary"], info.summary);
        for status in ["200", "400", "403", "404", "409", "422"] {
            assert!(op["responses"][status].is_object(), "{path} {status}");
        }
        match body {
            Some(schema) => {
                let rb = &op["requestBody"];
                assert_eq!(
                    rb["content"]["application/json"]["schema"]["$ref"],
                    format!("#/components/schemas/{schema}")
                );
                assert_eq!(rb["required"], required, "{path}");
                assert!(
                    spec["components"]["schemas"][&schema].is_object(),
                    "{schema}"
                );
            }
            None => assert!(op.get("requestBody").is_none(), "{path} reads no body"),
        }
        let console = Action::for_console(name).is_ok();
        assert_eq!(
            console,
            info.roles.iter().any(|r| r.as_str() != "field"),
            "{name}"
        );
    }
}
