//! The committed header must be exactly what build.rs generates now.

#[test]
fn committed_header_is_current() {
    let generated =
        std::fs::read_to_string(env!("LIBLXD_GENERATED_HEADER")).expect("generated header");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/lxd.h"))
        .expect("include/lxd.h");
    assert!(
        generated == committed,
        "include/lxd.h is stale: run `LIBLXD_UPDATE_HEADER=1 cargo build` and commit it"
    );
}

#[test]
fn header_version_macros_match_the_crate() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/lxd.h"))
        .expect("include/lxd.h");
    let want = format!(
        "#define LXD_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(committed.contains(&want), "missing {want}");
    let major = format!(
        "#define LXD_VERSION_MAJOR {}",
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert!(committed.contains(&major), "missing {major}");
    let v = unsafe { std::ffi::CStr::from_ptr(lxd::ffi::lxd_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn every_export_is_documented_in_the_header() {
    let h = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/lxd.h"))
        .expect("include/lxd.h");
    // Every prototype must be preceded by a doc comment.
    let lines: Vec<&str> = h.lines().collect();
    let mut undocumented = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let is_proto = (line.starts_with("lxd_status lxd_")
            || line.starts_with("void lxd_")
            || line.starts_with("bool lxd_")
            || line.starts_with("const char *lxd_")
            || line.starts_with("size_t lxd_")
            || line.starts_with("struct lxd_obj *lxd_")
            || line.starts_with("lxd_kind lxd_")
            || line.starts_with("int32_t lxd_"))
            && line.contains('(');
        if is_proto && (i == 0 || lines[i - 1].trim() != "*/") {
            undocumented.push(*line);
        }
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
    assert!(h.contains("lxd_container_get("), "typed wrappers missing");
}

#[test]
fn every_macro_and_type_of_the_header_is_prefixed() {
    let h = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/lxd.h"))
        .expect("include/lxd.h");
    let bad: Vec<&str> = h
        .lines()
        .filter(|l| {
            let name = l
                .strip_prefix("#define ")
                .or_else(|| l.strip_prefix("typedef struct "))
                .map(|rest| rest.split([' ', '(']).next().unwrap_or(""));
            name.is_some_and(|n| !(n.starts_with("LXD_") || n.starts_with("lxd_") || n == "LXD_H"))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "unprefixed names would clash with callers': {bad:?}"
    );
}
