//! The model catalog's entries (their install step is tested in arbor-fetch).

#[test]
fn the_gemma_entry_is_a_base_model_in_four_parts() {
    use arbor_lm::PromptFormat;
    let model = arbor_lm::catalog::entry("gemma3-270m").unwrap();
    assert_eq!(model.prompt_format, Some(PromptFormat::Completion));
    let gemma = &model.file;
    assert_eq!(gemma.parts.len(), 4);
    assert_eq!(gemma.packages().len(), 5);
    for (i, part) in gemma.parts.iter().enumerate() {
        assert!(part.package.contains(&format!("-part{}==", i + 1)));
        assert!(part
            .member
            .ends_with(&format!("{}.part{i:02}", gemma.member)));
    }
    assert!(gemma.extras[0].ends_with("GEMMA_TERMS.html"));
    assert!(gemma.license.contains("Gemma"));
    let smollm = &arbor_lm::catalog::entry(arbor_lm::catalog::DEFAULT_MODEL)
        .unwrap()
        .file;
    assert_eq!(smollm.license, "Apache-2.0");
    assert!(smollm.parts.is_empty());
}
