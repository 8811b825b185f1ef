//! Runs viper-hpack against the HTTP/2 Japan Community's `hpack-test-case` corpus.
//!
//! Usage: `viper-conformance-hpack <corpus-dir>`
//!
//! 1. Every `<encoder>/story_*.json` (all directories but `raw-data`): each case's `wire`
//!    is decoded in order on one decoder (applying `header_table_size` when given) and
//!    must produce exactly the case's `headers`, in order.
//! 2. Every `raw-data/story_*.json`: the header lists are re-encoded with our encoder at
//!    several table sizes (with and without Huffman, every indexing policy) and decoded
//!    back; the result must be identical.
//!
//! Prints a summary per directory and exits non-zero if any case failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;
use viper_hpack::{Decoder, DecoderConfig, Encoder, EncoderConfig, Header, IndexPolicy};

type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// Generous limits: the corpus has a few large header lists.
fn decoder_config(table: usize) -> DecoderConfig {
    DecoderConfig {
        max_table_size: table,
        max_header_list_size: 1 << 20,
        max_header_count: 4096,
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn headers(case: &Value) -> Option<Fields> {
    let mut out = Vec::new();
    for h in case.get("headers")?.as_array()? {
        let obj = h.as_object()?;
        for (k, v) in obj {
            out.push((k.as_bytes().to_vec(), v.as_str()?.as_bytes().to_vec()));
        }
    }
    Some(out)
}

fn stories(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "json")
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("story"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn load(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v.get("cases")
        .and_then(|c| c.as_array())
        .cloned()
        .ok_or_else(|| format!("{}: no cases", path.display()))
}

fn decode(d: &mut Decoder, wire: &[u8]) -> Result<Fields, String> {
    let mut got = Vec::new();
    d.decode(wire, |h| got.push((h.name.to_vec(), h.value.to_vec())))
        .map_err(|e| e.to_string())?;
    Ok(got)
}

/// Decodes one encoder's story; returns the number of cases, or the first failure.
fn check_story(path: &Path) -> Result<usize, String> {
    let cases = load(path)?;
    let mut d = Decoder::new(decoder_config(4096));
    for (i, case) in cases.iter().enumerate() {
        if let Some(size) = case.get("header_table_size").and_then(|s| s.as_u64()) {
            d.set_max_table_size(size as usize);
        }
        let wire = case
            .get("wire")
            .and_then(|w| w.as_str())
            .and_then(hex)
            .ok_or_else(|| format!("case {i}: bad wire"))?;
        let want = headers(case).ok_or_else(|| format!("case {i}: bad headers"))?;
        let got = decode(&mut d, &wire).map_err(|e| format!("case {i}: {e}"))?;
        if got != want {
            return Err(format!("case {i}: headers differ"));
        }
    }
    Ok(cases.len())
}

/// Re-encodes a raw-data story at `table` bytes; returns (cases, encoded bytes).
fn reencode_story(
    path: &Path,
    table: usize,
    huffman: bool,
    indexing: IndexPolicy,
) -> Result<(usize, usize), String> {
    let cases = load(path)?;
    let mut e = Encoder::new(EncoderConfig {
        max_table_size: table,
        use_huffman: huffman,
        indexing,
        ..EncoderConfig::default()
    });
    e.set_max_table_size(table);
    let mut d = Decoder::new(decoder_config(table));
    let mut bytes = 0;
    let mut block = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let want = headers(case).ok_or_else(|| format!("case {i}: bad headers"))?;
        block.clear();
        e.encode(want.iter().map(|(n, v)| Header::new(n, v)), &mut block);
        bytes += block.len();
        let got = decode(&mut d, &block).map_err(|err| format!("case {i}: {err}"))?;
        if got != want {
            return Err(format!("case {i}: round trip differs"));
        }
        if e.table_size() != d.table_size() {
            return Err(format!("case {i}: tables out of sync"));
        }
    }
    Ok((cases.len(), bytes))
}

fn main() -> ExitCode {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: viper-conformance-hpack <hpack-test-case dir>");
        return ExitCode::from(2);
    };
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(&root) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir() && !p.ends_with(".git"))
            .collect(),
        Err(e) => {
            eprintln!("{}: {e}", root.display());
            return ExitCode::from(2);
        }
    };
    dirs.sort();
    let mut failures = 0usize;
    let mut total_cases = 0usize;
    let mut total_stories = 0usize;

    for dir in dirs.iter().filter(|d| !d.ends_with("raw-data")) {
        let (mut ok, mut cases) = (0, 0);
        let list = stories(dir);
        for story in &list {
            match check_story(story) {
                Ok(n) => {
                    ok += 1;
                    cases += n;
                }
                Err(e) => {
                    failures += 1;
                    println!("FAIL {}: {e}", story.display());
                }
            }
        }
        total_cases += cases;
        total_stories += list.len();
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        println!(
            "decode {name:<32} {ok}/{} stories, {cases} cases",
            list.len()
        );
    }

    let raw = root.join("raw-data");
    let raw_stories = stories(&raw);
    if raw_stories.is_empty() {
        println!("FAIL: no stories in {}", raw.display());
        failures += 1;
    }
    for table in [0usize, 256, 4096, 65536] {
        for (huffman, indexing, label) in [
            (true, IndexPolicy::Auto, "huffman,auto"),
            (false, IndexPolicy::Always, "plain,always"),
            (true, IndexPolicy::Never, "huffman,never"),
        ] {
            let (mut ok, mut cases, mut bytes) = (0, 0, 0);
            for story in &raw_stories {
                match reencode_story(story, table, huffman, indexing) {
                    Ok((n, b)) => {
                        ok += 1;
                        cases += n;
                        bytes += b;
                    }
                    Err(e) => {
                        failures += 1;
                        println!(
                            "FAIL re-encode {} table={table} {label}: {e}",
                            story.display()
                        );
                    }
                }
            }
            total_cases += cases;
            total_stories += raw_stories.len();
            println!(
                "re-encode table={table:<6} {label:<14} {ok}/{} stories, {cases} cases, {bytes} bytes",
                raw_stories.len()
            );
        }
    }
    println!("total: {total_stories} stories, {total_cases} cases, {failures} failures");
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
