//! Unit tests of the object model (no daemon: the offline client fails
//! any request, so a success proves none was made).

use super::*;
use serde_json::json;
use std::time::Duration;

fn container(extra: Value) -> Object {
    let mut attrs = json!({
        "name": "c1",
        "status": "Stopped",
        "config": {"user.a": "1"},
        "devices": {},
        "profiles": ["default"],
        "description": "",
    });
    if let (Value::Object(a), Value::Object(e)) = (&mut attrs, extra) {
        a.extend(e);
    }
    let Value::Object(attrs) = attrs else {
        unreachable!()
    };
    Object::from_server(
        &Client::offline(),
        Kind::Container,
        vec![],
        attrs,
        Some("\"e1\"".into()),
    )
    .unwrap()
}

#[test]
fn describe_lists_the_schema_in_order() {
    let d = describe_kind(Kind::Profile);
    assert_eq!(d["class"], "Profile");
    assert_eq!(d["key"], "name");
    assert_eq!(d["endpoint"], "/1.0/profiles");
    assert_eq!(d["creatable"], true);
    let attrs = d["attributes"].as_array().unwrap();
    assert_eq!(attrs.len(), Kind::Profile.info().attrs.len());
    let name = attrs.iter().find(|a| a["name"] == "name").unwrap();
    assert_eq!(name["writable"], false);
    assert_eq!(describe_kind(Kind::Operation)["creatable"], false);
}

#[test]
fn attributes_read_as_json() {
    let o = container(json!({}));
    assert_eq!(o.get_attr("name").unwrap().to_string(), "\"c1\"");
    assert_eq!(o.get_attr("config").unwrap(), json!({"user.a": "1"}));
    // In the schema but not sent: null, without a request.
    assert_eq!(o.get_attr("location").unwrap(), Value::Null);
    let e = o.get_attr("bogus").unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownAttribute);
}

#[test]
fn attributes_beyond_the_schema_stay_readable() {
    let o = container(json!({"shiny": 42}));
    assert_eq!(o.get_attr("shiny").unwrap(), json!(42));
    assert_eq!(o.to_json().unwrap()["shiny"], json!(42));
    assert_eq!(
        o.set_attr("shiny", json!(1)).unwrap_err().kind,
        ErrorKind::UnknownAttribute
    );
}

#[test]
fn setting_tracks_dirtiness_and_checks_the_schema() {
    let o = container(json!({}));
    assert!(!o.dirty());
    assert_eq!(
        o.set_attr("name", json!("x")).unwrap_err().kind,
        ErrorKind::ReadOnly
    );
    assert_eq!(
        o.set_attr("status", json!("Running")).unwrap_err().kind,
        ErrorKind::ReadOnly
    );
    assert_eq!(
        o.set_attr("nope", json!(1)).unwrap_err().kind,
        ErrorKind::UnknownAttribute
    );
    assert!(!o.dirty());
    o.set_attr("config", json!({"user.b": "2"})).unwrap();
    assert!(o.dirty());
    // The whole map is replaced, as assignment in pylxd.
    assert_eq!(o.get_attr("config").unwrap(), json!({"user.b": "2"}));
    let all = o.to_json().unwrap();
    assert_eq!(all["config"], json!({"user.b": "2"}));
    assert_eq!(all["name"], json!("c1"));
}

#[test]
fn save_body_has_writable_attributes_only_with_local_changes() {
    let o = container(json!({}));
    o.set_attr("description", json!("d")).unwrap();
    let body = o.save_body();
    assert_eq!(body.get("description"), Some(&json!("d")));
    assert_eq!(body.get("config"), Some(&json!({"user.a": "1"})));
    assert!(body.get("name").is_none());
    assert!(body.get("status").is_none());
    // Writable but never sent by the server nor set: not invented.
    assert!(body.get("restore").is_none());
}

#[test]
fn clean_save_sends_nothing() {
    // The offline client fails any request, so success proves none was made.
    let o = container(json!({}));
    o.save(true).unwrap();
    o.set_attr("description", json!("d")).unwrap();
    assert_eq!(o.save(true).unwrap_err().kind, ErrorKind::Connection);
    assert!(o.dirty(), "a failed save keeps the local changes");
}

#[test]
fn failed_rollback_loses_nothing() {
    let o = container(json!({}));
    o.set_attr("description", json!("d")).unwrap();
    assert_eq!(o.rollback().unwrap_err().kind, ErrorKind::Connection);
    assert!(o.dirty());
    assert_eq!(o.get_attr("description").unwrap(), json!("d"));
}

#[test]
fn objects_need_their_key() {
    let Value::Object(attrs) = json!({"status": "Running"}) else {
        unreachable!()
    };
    let e =
        Object::from_server(&Client::offline(), Kind::Container, vec![], attrs, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Protocol);
}

#[test]
fn lazy_objects_know_only_their_key() {
    let o = Object::lazy(&Client::offline(), Kind::Profile, "p1");
    assert_eq!(o.key(), "p1");
    assert_eq!(o.get_attr("name").unwrap(), json!("p1"));
    // Anything else needs a sync, which the offline client cannot do.
    assert_eq!(
        o.get_attr("config").unwrap_err().kind,
        ErrorKind::Connection
    );
}

#[test]
fn instance_and_operation_calls_check_the_kind() {
    let p = Object::lazy(&Client::offline(), Kind::Profile, "p1");
    assert_eq!(
        p.action("start", None, true).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        p.operation_wait(Some(Duration::from_secs(1)))
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
    let img = Object::lazy(&Client::offline(), Kind::Image, "abc");
    assert_eq!(
        img.rename("x", true).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
}

#[test]
fn operations_cannot_be_created_and_definitions_are_objects() {
    let c = Client::offline();
    let e = Object::create(&c, Kind::Operation, &json!({}), true).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    let e = Object::create(&c, Kind::Profile, &json!([1]), true).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    let e = Object::create(&c, Kind::Profile, &json!({"config": {}}), true).unwrap_err();
    assert!(e.message.contains("name"));
    let e = Object::create(
        &c,
        Kind::Container,
        &json!({"name": "x", "type": "virtual-machine"}),
        true,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
}

#[test]
fn children_need_a_parent_of_their_parent_kind() {
    let c = Client::offline();
    let profile = Object::lazy(&c, Kind::Profile, "p1");
    assert_eq!(
        profile
            .child_get(Kind::InstanceSnapshot, "s0")
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
    let inst = Object::lazy(&c, Kind::Container, "c1");
    assert_eq!(
        inst.parents_for(Kind::InstanceSnapshot).unwrap(),
        vec!["c1".to_string()]
    );
    assert_eq!(
        inst.child_get(Kind::Profile, "x").unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    // A child kind cannot be reached without its parent.
    assert_eq!(
        Object::get(&c, Kind::InstanceSnapshot, "s0")
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
}

#[test]
fn snapshots_may_be_created_without_a_name_backups_save_nothing() {
    let c = Client::offline();
    let inst = Object::lazy(&c, Kind::Instance, "c1");
    // No name: allowed (LXD picks one); the offline client then fails.
    assert_eq!(
        inst.child_create(Kind::InstanceSnapshot, &json!({}), true)
            .unwrap_err()
            .kind,
        ErrorKind::Connection
    );
    assert_eq!(
        inst.child_create(Kind::InstanceSnapshot, &json!({"name": ""}), true)
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
    let b = Object::lazy_at(
        &c,
        Kind::InstanceBackup,
        Locator::new(vec!["c1".into()], "b0"),
    );
    b.lock().loaded = true;
    // Backups have no writable attribute, and no PUT.
    assert_eq!(
        b.set_attr("expires_at", json!("x")).unwrap_err().kind,
        ErrorKind::ReadOnly
    );
    assert_eq!(
        b.patch(&json!({}), true).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
}

#[test]
fn patch_checks_its_fields() {
    let o = container(json!({}));
    assert_eq!(
        o.patch(&json!({"status": "x"}), true).unwrap_err().kind,
        ErrorKind::ReadOnly
    );
    assert_eq!(
        o.patch(&json!([1]), true).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        o.patch(&json!({"description": "x"}), true)
            .unwrap_err()
            .kind,
        ErrorKind::Connection
    );
}

#[test]
fn describe_tells_parents_and_actions() {
    let d = describe_kind(Kind::InstanceSnapshot);
    assert_eq!(d["parent"], Kind::Instance as i32);
    assert_eq!(d["endpoint"], "/1.0/instances/{instance}/snapshots");
    assert_eq!(d["actions"][0]["name"], "restore");
    let d = describe_kind(Kind::Instance);
    assert!(
        d["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "start")
    );
    assert_eq!(
        describe_kind(Kind::Container)["variant_of"],
        Kind::Instance as i32
    );
}

#[test]
fn a_missing_api_extension_fails_before_any_request() {
    // The offline client knows no extension (it never read GET /1.0).
    let c = Client::offline();
    let inst = Object::lazy(&c, Kind::Instance, "c1");
    let e = inst.child_all(Kind::InstanceBackup).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ExtensionMissing, "{}", e.message);
    assert!(e.message.contains("container_backup"), "{}", e.message);
    let e = inst.action("metadata", None, true).unwrap_err();
    assert_eq!(e.kind, ErrorKind::ExtensionMissing);
    // Without one needed, the request is made (and fails: offline).
    assert_eq!(
        inst.child_all(Kind::InstanceSnapshot).unwrap_err().kind,
        ErrorKind::Connection
    );
}
