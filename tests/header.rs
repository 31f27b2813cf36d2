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

#[test]
fn every_export_is_declared_through_the_guarding_macro() {
    // Exports written by hand could skip the panic guard: every one in
    // src/ffi goes through lxd_export! (the generated typed wrappers only
    // forward to such exports).
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ffi");
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src/ffi") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        // The macro itself writes the attribute, of course.
        let mut in_macro = false;
        for (i, line) in text.lines().enumerate() {
            if line.starts_with("macro_rules! lxd_export") {
                in_macro = true;
            }
            if in_macro {
                in_macro = line != "}";
                continue;
            }
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains("extern \"C\" fn lxd_") || code.starts_with("#[unsafe(no_mangle)]") {
                raw.push(format!("{}:{}: {line}", path.display(), i + 1));
            }
        }
    }
    assert!(raw.is_empty(), "exports outside lxd_export!: {raw:#?}");
}
