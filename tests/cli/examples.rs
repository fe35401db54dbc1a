//! Every manifest in `examples/` is valid, carries the schema comment for editors, and the
//! directory as a whole validates.

use crate::support::{bin, root, run};

#[test]
fn every_example_validates_and_points_editors_at_the_schema() {
    let dir = root().join("examples");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            continue;
        }
        count += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schemas/manifest.schema.json\n"),
            "{} must start with the yaml-language-server schema comment",
            path.display()
        );
        let out = run(bin().arg("validate").arg(&path));
        assert_eq!(out.code, 0, "{}: {}", path.display(), out.stderr);
        assert!(
            !out.stderr.contains("error"),
            "{}: {}",
            path.display(),
            out.stderr
        );
    }
    assert!(count >= 3, "examples/ holds at least three manifests");
    let all = run(bin().arg("validate").arg(&dir));
    assert_eq!(all.code, 0, "{}", all.stderr);
}
