//! Several stateless `campo` hosts on one store (as behind a load balancer): submissions spread
//! over both, the same client id sent to both at the same moment is stored once, and exports
//! from either host agree. Both hosts share the machine's artifact cache.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use serde_json::{Value, json};

const SUBMIT: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar/submissions";
/// The main table only (the default for a form with repeat groups is a ZIP of tables).
const EXPORT: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar/export.csv?format=csv";

crate::on_both_backends!(two_hosts_share_one_store);

/// Posts `body` to both hosts at the same moment; returns (status from a, status from b).
fn post_to_both(a: &TestApp, b: &TestApp, token: &str, body: &Value) -> (u16, u16) {
    let barrier = Arc::new(Barrier::new(2));
    std::thread::scope(|scope| {
        let send = |host: &TestApp| {
            let barrier = barrier.clone();
            let request = host.http.post(format!("{}{SUBMIT}", host.url)).header("content-type", "application/json").bearer_auth(token).body(body.to_string());
            scope.spawn(move || {
                barrier.wait();
                request.send().expect("request sent").status().as_u16()
            })
        };
        let (x, y) = (send(a), send(b));
        (x.join().unwrap(), y.join().unwrap())
    })
}

fn two_hosts_share_one_store(backend: Backend) {
    let a = TestApp::spawn_example(backend);
    let b = TestApp::spawn_on(a.db.alias(), &[]);
    let enumerator = a.token("enumerator", Some("ejemplo-hogares"));
    let analyst = a.token("analyst", Some("ejemplo-hogares"));
    let bodies = generate("ejemplo-hogares", "hogar", 160, 21);
    let (twins, spread) = bodies.split_at(60);

    // The same id at the same moment on both hosts: one stores it (201), the other answers the
    // stored receipt (200).
    for body in twins {
        let (x, y) = post_to_both(&a, &b, &enumerator, body);
        let mut pair = [x, y];
        pair.sort();
        assert_eq!(pair, [200, 201], "{}", body["id"]);
    }
    // The same id with different bodies at once: one is stored, the other is a conflict.
    let mut first = twins[0].clone();
    first["id"] = json!(uuid::Uuid::new_v4().to_string());
    let mut second = first.clone();
    second["answers"]["ingreso_mensual"] = json!(123456);
    let barrier = Arc::new(Barrier::new(2));
    let token = enumerator.as_str();
    let replies: Vec<u16> = std::thread::scope(|scope| {
        [(&a, &first), (&b, &second)]
            .map(|(host, body)| {
                let barrier = barrier.clone();
                scope.spawn(move || {
                    barrier.wait();
                    host.post_json(SUBMIT, Some(token), body).status
                })
            })
            .map(|h| h.join().unwrap())
            .to_vec()
    });
    let mut replies = replies;
    replies.sort();
    assert_eq!(replies, vec![201, 409]);

    // Submissions spread over both hosts (a load balancer's round robin), from several clients.
    std::thread::scope(|scope| {
        for (i, chunk) in spread.chunks(25).enumerate() {
            let (a, b, enumerator) = (&a, &b, &enumerator);
            scope.spawn(move || {
                for (j, body) in chunk.iter().enumerate() {
                    let host = if (i + j) % 2 == 0 { a } else { b };
                    let reply = host.post_json(SUBMIT, Some(enumerator), body);
                    assert_eq!(reply.status, 201, "{}", reply.text());
                }
            });
        }
    });

    let total = bodies.len() as i64 + 1;
    assert_eq!(a.db.count("SELECT COUNT(*) FROM submissions"), total);
    assert_eq!(a.db.count("SELECT COUNT(DISTINCT id) FROM submissions"), total);

    // Either host exports the same rows, each once.
    let from_a = a.get(EXPORT, Some(&analyst));
    let from_b = b.get(EXPORT, Some(&analyst));
    assert_eq!((from_a.status, from_b.status), (200, 200));
    let (rows_a, rows_b) = (csv_rows(&from_a.bytes), csv_rows(&from_b.bytes));
    assert_eq!(rows_a, rows_b, "both hosts export the same table");
    assert_eq!(rows_a.len() as i64, total + 1);
    let ids: std::collections::HashSet<&String> = rows_a[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len() as i64, total);
    for body in &bodies {
        assert!(ids.contains(&body["id"].as_str().unwrap().to_string()));
    }

    // Both hosts appended to one audit chain at once: one entry per stored submission, and the
    // chain is intact (appends are serialised across hosts).
    a.db.wait_until_audited();
    assert_eq!(a.db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'submission.create'"), total);
    let (ok, out, err) = common::campo(&["audit", "verify", "--db", &a.db.url]);
    assert!(ok, "the audit chain broke under two hosts: {out}{err}");
}
