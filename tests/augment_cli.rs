//! End-to-end tests of `arbor augment`.

/// `arbor ARGS…` in `dir`, stdin closed, output captured.
fn arbor(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    arbor_testkit::cli::run(env!("CARGO_BIN_EXE_arbor"), dir, args)
}

const SOURCE: &str = "def total(values):\n    result = 0\n    for v in values:\n        result += v\n    return result\n";

#[test]
fn writes_jsonl_records_and_output_trees() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.py"), SOURCE).unwrap();
    let out = arbor(
        dir.path(),
        &[
            "augment",
            "m.py",
            "--transforms",
            "rename-variables,for-to-while",
            "--count",
            "2",
            "--seed",
            "4",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    for r in &records {
        assert_eq!(r["language"], "python");
        assert_eq!(r["original"], SOURCE);
        assert_eq!(r["seed"], 4);
        assert_ne!(r["transformed"], SOURCE);
        assert_eq!(r["transforms"].as_array().unwrap().len(), 1);
    }
    assert_eq!(records[0]["transforms"][0], "rename-variables");
    assert_ne!(
        records[0]["transformed"], records[1]["transformed"],
        "variants differ"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rename-variables: 2 applied"), "{err}");

    let out = arbor(
        dir.path(),
        &[
            "augment",
            ".",
            "--transforms",
            "swap-if-else,for-to-while",
            "--chain",
            "--out",
            "tree",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(dir.path().join("tree/for-to-while/m.py")).unwrap();
    assert!(
        written.contains("while True:") && written.contains("next("),
        "{written}"
    );
}

#[test]
fn verify_runs_transformed_problems_against_their_tests() {
    let dir = tempfile::tempdir().unwrap();
    let problems =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/arbor-python.jsonl");
    let out = arbor(
        dir.path(),
        &[
            "augment",
            problems.to_str().unwrap(),
            "--verify",
            "--json",
            "--seed",
            "2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), arbor_augment::TRANSFORMS.len());
    for row in &rows {
        assert_eq!(row["problems"], 22);
        assert_eq!(row["still_passing"], row["applied"], "{row}");
        assert!(row["broken"].as_array().unwrap().is_empty());
    }
    let rename = rows
        .iter()
        .find(|r| r["transform"] == "rename-variables")
        .unwrap();
    assert!(rename["applied"].as_u64().unwrap() >= 20, "{rename}");
}

#[test]
fn bad_requests_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.py"), SOURCE).unwrap();
    let out = arbor(
        dir.path(),
        &["augment", "m.py", "--transforms", "shuffle-everything"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown transform"));
    let out = arbor(dir.path(), &["augment", "m.py", "--verify"]);
    assert_eq!(out.status.code(), Some(2));
    let out = arbor(dir.path(), &["augment", "--list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("rename-variables"));
}

#[test]
fn function_units_are_records_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let python = "import os\n\n\n@staticmethod\ndef helper(path):\n    base = os.path.basename(path)\n    return base\n\n\nclass Walker:\n    def walk(self, root):\n        \"\"\"Walk.\n\n  less indented docstring line\n        \"\"\"\n        found = []\n        for entry in os.listdir(root):\n            found.append(entry)\n        return found\n";
    std::fs::write(dir.path().join("m.py"), python).unwrap();
    std::fs::write(
        dir.path().join("c.js"),
        "class A {\n  get(x) {\n    const y = x + 1;\n    return y;\n  }\n}\nfunction f(a) {\n  const b = a * 2;\n  return b;\n}\n",
    )
    .unwrap();
    let out = arbor(
        dir.path(),
        &[
            "augment",
            ".",
            "--units",
            "function",
            "--transforms",
            "rename-variables",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["./c.js:7:f", "./m.py:4:helper", "./m.py:11:Walker.walk"],
        "one record per function; the JS method does not parse alone"
    );
    // Decorators come along; a method loses its class's indentation (a string line
    // indented less keeps its own).
    assert!(records[1]["original"]
        .as_str()
        .unwrap()
        .starts_with("@staticmethod\ndef helper(path):\n    base ="));
    assert_eq!(
        records[2]["original"],
        "def walk(self, root):\n    \"\"\"Walk.\n\n  less indented docstring line\n    \"\"\"\n    found = []\n    for entry in os.listdir(root):\n        found.append(entry)\n    return found\n"
    );
    assert_ne!(records[2]["transformed"], records[2]["original"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("c.js:2:A.get: does not parse on its own"),
        "{err}"
    );

    std::fs::write(dir.path().join("p.jsonl"), "").unwrap();
    let out = arbor(dir.path(), &["augment", "p.jsonl", "--units", "function"]);
    assert_eq!(out.status.code(), Some(2));
}
