//! docs/coverage.md must tell the truth: one row for each path + method
//! pair that LXD 5.0.2 serves, C functions that exist, and counts that
//! match the rows.

use std::collections::{BTreeMap, BTreeSet};

/// The 185 path + method pairs of LXD 5.0.2's REST API specification
/// (82 paths; variants that differ only in their query are one pair).
const LXD_5_0_2_PAIRS: &str = "
GET /
GET /1.0
PATCH /1.0
PUT /1.0
GET /1.0/certificates
POST /1.0/certificates
DELETE /1.0/certificates/{fingerprint}
GET /1.0/certificates/{fingerprint}
PATCH /1.0/certificates/{fingerprint}
PUT /1.0/certificates/{fingerprint}
GET /1.0/cluster
PUT /1.0/cluster
PUT /1.0/cluster/certificate
GET /1.0/cluster/groups
POST /1.0/cluster/groups
DELETE /1.0/cluster/groups/{name}
GET /1.0/cluster/groups/{name}
PATCH /1.0/cluster/groups/{name}
POST /1.0/cluster/groups/{name}
PUT /1.0/cluster/groups/{name}
GET /1.0/cluster/members
POST /1.0/cluster/members
DELETE /1.0/cluster/members/{name}
GET /1.0/cluster/members/{name}
PATCH /1.0/cluster/members/{name}
POST /1.0/cluster/members/{name}
PUT /1.0/cluster/members/{name}
POST /1.0/cluster/members/{name}/state
GET /1.0/events
GET /1.0/images
POST /1.0/images
GET /1.0/images/aliases
POST /1.0/images/aliases
DELETE /1.0/images/aliases/{name}
GET /1.0/images/aliases/{name}
PATCH /1.0/images/aliases/{name}
POST /1.0/images/aliases/{name}
PUT /1.0/images/aliases/{name}
DELETE /1.0/images/{fingerprint}
GET /1.0/images/{fingerprint}
PATCH /1.0/images/{fingerprint}
PUT /1.0/images/{fingerprint}
GET /1.0/images/{fingerprint}/export
POST /1.0/images/{fingerprint}/export
POST /1.0/images/{fingerprint}/refresh
POST /1.0/images/{fingerprint}/secret
GET /1.0/instances
POST /1.0/instances
PUT /1.0/instances
DELETE /1.0/instances/{name}
GET /1.0/instances/{name}
PATCH /1.0/instances/{name}
POST /1.0/instances/{name}
PUT /1.0/instances/{name}
GET /1.0/instances/{name}/backups
POST /1.0/instances/{name}/backups
DELETE /1.0/instances/{name}/backups/{backup}
GET /1.0/instances/{name}/backups/{backup}
POST /1.0/instances/{name}/backups/{backup}
GET /1.0/instances/{name}/backups/{backup}/export
DELETE /1.0/instances/{name}/console
GET /1.0/instances/{name}/console
POST /1.0/instances/{name}/console
POST /1.0/instances/{name}/exec
DELETE /1.0/instances/{name}/files
GET /1.0/instances/{name}/files
HEAD /1.0/instances/{name}/files
POST /1.0/instances/{name}/files
GET /1.0/instances/{name}/logs
DELETE /1.0/instances/{name}/logs/{filename}
GET /1.0/instances/{name}/logs/{filename}
GET /1.0/instances/{name}/metadata
PATCH /1.0/instances/{name}/metadata
PUT /1.0/instances/{name}/metadata
DELETE /1.0/instances/{name}/metadata/templates
GET /1.0/instances/{name}/metadata/templates
POST /1.0/instances/{name}/metadata/templates
GET /1.0/instances/{name}/sftp
GET /1.0/instances/{name}/snapshots
POST /1.0/instances/{name}/snapshots
DELETE /1.0/instances/{name}/snapshots/{snapshot}
GET /1.0/instances/{name}/snapshots/{snapshot}
PATCH /1.0/instances/{name}/snapshots/{snapshot}
POST /1.0/instances/{name}/snapshots/{snapshot}
PUT /1.0/instances/{name}/snapshots/{snapshot}
GET /1.0/instances/{name}/state
PUT /1.0/instances/{name}/state
GET /1.0/metrics
GET /1.0/network-acls
POST /1.0/network-acls
DELETE /1.0/network-acls/{name}
GET /1.0/network-acls/{name}
PATCH /1.0/network-acls/{name}
POST /1.0/network-acls/{name}
PUT /1.0/network-acls/{name}
GET /1.0/network-acls/{name}/log
GET /1.0/network-zones
POST /1.0/network-zones
DELETE /1.0/network-zones/{name}
GET /1.0/network-zones/{name}
PATCH /1.0/network-zones/{name}
PUT /1.0/network-zones/{name}
GET /1.0/network-zones/{zone}/records
POST /1.0/network-zones/{zone}/records
DELETE /1.0/network-zones/{zone}/records/{name}
GET /1.0/network-zones/{zone}/records/{name}
PATCH /1.0/network-zones/{zone}/records/{name}
PUT /1.0/network-zones/{zone}/records/{name}
GET /1.0/networks
POST /1.0/networks
DELETE /1.0/networks/{name}
GET /1.0/networks/{name}
PATCH /1.0/networks/{name}
POST /1.0/networks/{name}
PUT /1.0/networks/{name}
GET /1.0/networks/{name}/leases
GET /1.0/networks/{name}/state
GET /1.0/networks/{networkName}/forwards
POST /1.0/networks/{networkName}/forwards
DELETE /1.0/networks/{networkName}/forwards/{listenAddress}
GET /1.0/networks/{networkName}/forwards/{listenAddress}
PATCH /1.0/networks/{networkName}/forwards/{listenAddress}
PUT /1.0/networks/{networkName}/forwards/{listenAddress}
GET /1.0/networks/{networkName}/peers
POST /1.0/networks/{networkName}/peers
DELETE /1.0/networks/{networkName}/peers/{peerName}
GET /1.0/networks/{networkName}/peers/{peerName}
PATCH /1.0/networks/{networkName}/peers/{peerName}
PUT /1.0/networks/{networkName}/peers/{peerName}
GET /1.0/operations
DELETE /1.0/operations/{id}
GET /1.0/operations/{id}
GET /1.0/operations/{id}/wait
GET /1.0/operations/{id}/websocket
GET /1.0/profiles
POST /1.0/profiles
DELETE /1.0/profiles/{name}
GET /1.0/profiles/{name}
PATCH /1.0/profiles/{name}
POST /1.0/profiles/{name}
PUT /1.0/profiles/{name}
GET /1.0/projects
POST /1.0/projects
DELETE /1.0/projects/{name}
GET /1.0/projects/{name}
PATCH /1.0/projects/{name}
POST /1.0/projects/{name}
PUT /1.0/projects/{name}
GET /1.0/projects/{name}/state
GET /1.0/resources
GET /1.0/storage-pools
POST /1.0/storage-pools
DELETE /1.0/storage-pools/{name}
GET /1.0/storage-pools/{name}
PATCH /1.0/storage-pools/{name}
PUT /1.0/storage-pools/{name}
GET /1.0/storage-pools/{name}/resources
GET /1.0/storage-pools/{name}/volumes
POST /1.0/storage-pools/{name}/volumes
GET /1.0/storage-pools/{name}/volumes/{type}
POST /1.0/storage-pools/{name}/volumes/{type}
DELETE /1.0/storage-pools/{name}/volumes/{type}/{volume}
GET /1.0/storage-pools/{name}/volumes/{type}/{volume}
PATCH /1.0/storage-pools/{name}/volumes/{type}/{volume}
POST /1.0/storage-pools/{name}/volumes/{type}/{volume}
PUT /1.0/storage-pools/{name}/volumes/{type}/{volume}
GET /1.0/storage-pools/{name}/volumes/{type}/{volume}/backups
POST /1.0/storage-pools/{name}/volumes/{type}/{volume}/backups
DELETE /1.0/storage-pools/{name}/volumes/{type}/{volume}/backups/{backup}
GET /1.0/storage-pools/{name}/volumes/{type}/{volume}/backups/{backup}
POST /1.0/storage-pools/{name}/volumes/{type}/{volume}/backups/{backup}
GET /1.0/storage-pools/{name}/volumes/{type}/{volume}/backups/{backup}/export
GET /1.0/storage-pools/{name}/volumes/{type}/{volume}/snapshots
POST /1.0/storage-pools/{name}/volumes/{type}/{volume}/snapshots
DELETE /1.0/storage-pools/{name}/volumes/{type}/{volume}/snapshots/{snapshot}
GET /1.0/storage-pools/{name}/volumes/{type}/{volume}/snapshots/{snapshot}
PATCH /1.0/storage-pools/{name}/volumes/{type}/{volume}/snapshots/{snapshot}
POST /1.0/storage-pools/{name}/volumes/{type}/{volume}/snapshots/{snapshot}
PUT /1.0/storage-pools/{name}/volumes/{type}/{volume}/snapshots/{snapshot}
GET /1.0/storage-pools/{name}/volumes/{type}/{volume}/state
GET /1.0/warnings
DELETE /1.0/warnings/{uuid}
GET /1.0/warnings/{uuid}
PATCH /1.0/warnings/{uuid}
PUT /1.0/warnings/{uuid}
";

const NOT_COVERED: [&str; 2] = ["not yet (issue ", "not covered: "];

/// One row of a pair table.
struct Row {
    section: String,
    pair: String,
    /// The C functions the liblxd cell names (in backquotes).
    functions: Vec<String>,
    covered: bool,
    pylxd: bool,
    go: bool,
}

struct Doc {
    rows: Vec<Row>,
    /// The whole document, for the summary and the breakdown.
    text: String,
}

fn read(rel: &str) -> String {
    let path = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

/// The names in backquotes that look like C functions of liblxd.
fn functions_in(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.starts_with("lxd_") && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(str::to_string)
        .collect()
}

fn parse() -> Doc {
    let text = read("docs/coverage.md");
    let mut rows = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_string();
            continue;
        }
        // Pair rows start with the pair in backquotes: | `GET /1.0` | ...
        if !line.starts_with("| `") {
            continue;
        }
        let c = cells(line);
        assert_eq!(c.len(), 4, "a pair row needs 4 cells: {line}");
        let liblxd = &c[1];
        assert!(
            !liblxd.is_empty() && !c[2].is_empty() && !c[3].is_empty(),
            "empty cell (use - for none): {line}"
        );
        let covered = !NOT_COVERED.iter().any(|p| liblxd.starts_with(p));
        assert!(
            !(covered && liblxd.to_lowercase().starts_with("not")),
            "a pair without a function says `not yet (issue N: …)` or `not covered: …`: {line}"
        );
        rows.push(Row {
            section: section.clone(),
            pair: c[0].trim_matches('`').to_string(),
            functions: functions_in(liblxd),
            covered,
            pylxd: c[2] != "-",
            go: c[3] != "-",
        });
    }
    Doc { rows, text }
}

#[test]
fn the_pairs_are_lxd_5_0_2s() {
    let doc = parse();
    let want: BTreeSet<&str> = LXD_5_0_2_PAIRS.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(want.len(), 185);
    let mut seen = BTreeSet::new();
    for r in &doc.rows {
        assert!(seen.insert(r.pair.as_str()), "{} is listed twice", r.pair);
    }
    let missing: Vec<_> = want.difference(&seen).collect();
    let extra: Vec<_> = seen.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/coverage.md lacks {missing:?} and has pairs LXD 5.0.2 does not serve: {extra:?}"
    );
}

#[test]
fn every_function_named_is_in_the_header() {
    // The names declared in include/lxd.h: `lxd_x(` outside comments.
    let header = read("include/lxd.h");
    let mut code = String::new();
    let mut rest = header.as_str();
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    code.push_str(rest);
    let mut declared = BTreeSet::new();
    for (at, _) in code.match_indices("lxd_") {
        let name: String = code[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if code[at + name.len()..].starts_with('(') {
            declared.insert(name);
        }
    }
    assert!(declared.contains("lxd_obj_save") && declared.contains("lxd_api"));
    let unknown: BTreeSet<String> = parse()
        .rows
        .iter()
        .flat_map(|r| r.functions.iter().cloned())
        .filter(|f| !declared.contains(f))
        .collect();
    assert!(unknown.is_empty(), "not in include/lxd.h: {unknown:?}");
}

#[test]
fn covered_rows_name_a_dedicated_function() {
    for r in parse().rows.iter().filter(|r| r.covered) {
        assert!(
            r.functions.iter().any(|f| f != "lxd_api"),
            "{} is marked covered but names no liblxd function (lxd_api does not count)",
            r.pair
        );
    }
}

/// The number that follows `after` in `line`.
fn number_after(line: &str, after: &str) -> usize {
    let start = line
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {line:?}"))
        + after.len();
    let digits: String = line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number after {after:?} in {line:?}"))
}

#[test]
fn the_counts_match_the_rows() {
    let doc = parse();
    let count = |rows: &[&Row], f: fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let all: Vec<&Row> = doc.rows.iter().collect();
    let (covered, pylxd, go) = (
        count(&all, |r| r.covered),
        count(&all, |r| r.pylxd),
        count(&all, |r| r.go),
    );

    let summary = doc
        .text
        .lines()
        .find(|l| l.starts_with("Summary: "))
        .expect("a line starting with \"Summary: \"");
    assert_eq!(
        number_after(summary, "liblxd covers "),
        covered,
        "{summary}"
    );
    assert_eq!(number_after(summary, " of "), all.len(), "{summary}");
    assert_eq!(
        number_after(summary, "pylxd 2.4.2 reaches "),
        pylxd,
        "{summary}"
    );
    assert_eq!(number_after(summary, "Go client "), go, "{summary}");

    // The breakdown table: | section | pairs | liblxd | pylxd | Go client |
    let mut by_section: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &doc.rows {
        by_section.entry(r.section.as_str()).or_default().push(r);
    }
    by_section.insert("all", all);
    let mut checked = BTreeSet::new();
    for line in doc.text.lines().filter(|l| l.starts_with("| ")) {
        let c = cells(line);
        let Some(rows) = by_section.get(c[0].as_str()) else {
            continue;
        };
        let want = [
            rows.len(),
            count(rows, |r| r.covered),
            count(rows, |r| r.pylxd),
            count(rows, |r| r.go),
        ];
        let got: Vec<usize> = c[1..].iter().map(|n| n.parse().expect(line)).collect();
        assert_eq!(
            got, want,
            "breakdown row disagrees with the section's rows: {line}"
        );
        checked.insert(c[0].clone());
    }
    assert_eq!(
        checked.len(),
        by_section.len(),
        "the breakdown needs one row per section and \"all\""
    );
}
