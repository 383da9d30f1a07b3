//! Prints what Arbor reads from a GGUF file: architecture, tensors, tokenizer, and the tokens
//! of a text. `cargo run -p arbor-lm --example gguf_info -- MODEL.gguf [TEXT]`

use arbor_lm::{GgufFile, LmTokenizer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: gguf_info MODEL.gguf [TEXT]");
        std::process::exit(2);
    };
    let file = match GgufFile::open(std::path::Path::new(path)) {
        Ok(file) => file,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    };
    println!(
        "architecture: {}",
        file.string("general.architecture").unwrap_or_default()
    );
    println!(
        "name:         {}",
        file.string("general.name").unwrap_or_default()
    );
    println!("tensors:      {}", file.content().tensor_infos.len());
    let tokenizer = match LmTokenizer::from_metadata(file.metadata()) {
        Ok(t) => t,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(2);
        }
    };
    println!(
        "vocabulary:   {} tokens, bos {:?}, eos {:?}, add_bos {}",
        tokenizer.vocab_size(),
        tokenizer.bos,
        tokenizer.eos,
        tokenizer.add_bos
    );
    let text = args
        .get(1)
        .map_or("def add(a, b):\n    return a + b  # 2024", String::as_str);
    let ids = tokenizer.encode(text).unwrap_or_default();
    let pieces: Vec<String> = ids
        .iter()
        .map(|&id| tokenizer.token_text(id).unwrap_or_default())
        .collect();
    println!("ids:          {ids:?}");
    println!("pieces:       {pieces:?}");
    println!(
        "round trip:   {}",
        tokenizer
            .decode(&ids, false)
            .map(|t| t == text)
            .unwrap_or(false)
    );
}
