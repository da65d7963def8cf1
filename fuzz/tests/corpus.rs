//! The fuzz targets without libFuzzer (stable Rust, no sanitizer): every seed in
//! `fuzz/corpus/<target>/`, then random mutations of the seeds (bit flips,
//! inserted and deleted bytes, splices of two seeds, interesting tokens).
//!
//!   cargo test --manifest-path fuzz/Cargo.toml --no-default-features
//!   FUZZ_TARGET=models FUZZ_SECONDS=60 cargo test --manifest-path fuzz/Cargo.toml --no-default-features
//!
//! FUZZ_TARGET: one target (default all); FUZZ_RUNS: random inputs per target
//! (default 300, 30 for lsp_messages); FUZZ_SECONDS: run for this long instead;
//! FUZZ_SEED: the generator's seed; FUZZ_INPUT (with FUZZ_TARGET): run one file. A failing input is written to
//! `fuzz/artifacts/<target>/crash-<hash>` and the run exits non-zero.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target, u64)] = &[
    ("yaml_tree", tollgate_fuzz::yaml_tree, 300),
    ("models", tollgate_fuzz::models, 300),
    ("pattern", tollgate_fuzz::pattern, 300),
    ("error_log", tollgate_fuzz::error_log, 300),
    ("lsp_messages", tollgate_fuzz::lsp_messages, 30),
];

const TOKENS: &[&[u8]] = &[
    b"- ",
    b": ",
    b"\n",
    b"\r\n",
    b"  ",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"|",
    b">",
    b"#",
    b"---",
    b"...",
    b"!!str ",
    b"\t",
    b"\xe5\x88\x9d",
    b"\xf0\x9f\x98\x80",
    b"**",
    b"*",
    b"?",
    b"/",
    b"..",
    b"{a,b}",
    b"[!a]",
    b"|",
    b"`",
    b"ERROR REPORT",
    b"============",
    b"\0",
    b"id: ",
    b"stages:",
    b"outputs:",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = if seeds.is_empty() { Vec::new() } else { seeds[rng.below(seeds.len())].clone() };
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            2 => v.insert(at, rng.next() as u8),
            3 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            4 if !seeds.is_empty() => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let to = (from + rng.below(64)).min(other.len());
                v.splice(at..at, other[from..to].iter().copied());
            }
            5 if !v.is_empty() => {
                // Repeat a slice (deep nesting, long lines).
                let end = (at + 1 + rng.below(8)).min(v.len());
                let piece: Vec<u8> = v[at.min(end)..end].to_vec();
                for _ in 0..rng.below(64) {
                    v.splice(at..at, piece.iter().copied());
                }
            }
            _ => v.truncate(at),
        }
    }
    v
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target)
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(corpus_dir(target)) {
        for e in entries.flatten() {
            if let Ok(bytes) = std::fs::read(e.path()) {
                out.push((e.file_name().to_string_lossy().into_owned(), bytes));
            }
        }
    }
    out.sort();
    out
}

fn save_crash(target: &str, input: &[u8]) -> PathBuf {
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts").join(target);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("crash-{hash:016x}"));
    let _ = std::fs::write(&path, input);
    path
}

fn run_one(target: &str, f: Target, input: &[u8], what: &str) -> bool {
    match std::panic::catch_unwind(|| f(input)) {
        Ok(()) => true,
        Err(_) => {
            let path = save_crash(target, input);
            eprintln!("{target}: {what} FAILED; input saved to {}", path.display());
            false
        }
    }
}

fn main() {
    let only = std::env::var("FUZZ_TARGET").ok();
    if let Ok(file) = std::env::var("FUZZ_INPUT") {
        // Reproduce one input: FUZZ_TARGET=models FUZZ_INPUT=fuzz/artifacts/models/crash-... cargo test ...
        let name = only.expect("FUZZ_INPUT needs FUZZ_TARGET");
        let &(_, f, _) = TARGETS.iter().find(|t| t.0 == name).expect("no such target");
        f(&std::fs::read(&file).expect("FUZZ_INPUT"));
        println!("1 passed, 0 failed");
        return;
    }
    let runs: Option<u64> = std::env::var("FUZZ_RUNS").ok().and_then(|s| s.parse().ok());
    let seconds: Option<u64> = std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x7011_6a7e);
    // Quiet panics: the failing input is reported instead.
    let quiet = std::env::var("FUZZ_VERBOSE").is_err();
    if quiet {
        std::panic::set_hook(Box::new(|info| eprintln!("  panic: {info}")));
    }
    let (mut passed, mut failed) = (0u64, 0u64);
    for &(name, f, default_runs) in TARGETS {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let seeds = seeds(name);
        let started = Instant::now();
        let mut ok = true;
        for (file, bytes) in &seeds {
            ok &= run_one(name, f, bytes, &format!("seed {file}"));
        }
        let corpus: Vec<Vec<u8>> = seeds.into_iter().map(|(_, b)| b).collect();
        let mut rng = Rng(seed ^ name.len() as u64 ^ 0x9e37_79b9_7f4a_7c15);
        let mut n = 0u64;
        let deadline = seconds.map(|s| started + Duration::from_secs(s));
        loop {
            let more = match deadline {
                Some(d) => Instant::now() < d,
                None => n < runs.unwrap_or(default_runs),
            };
            if !more {
                break;
            }
            let input = mutate(&mut rng, &corpus);
            ok &= run_one(name, f, &input, &format!("random input {n}"));
            n += 1;
        }
        let execs = corpus.len() as u64 + n;
        println!(
            "fuzz {name}: {execs} executions ({} seeds, {n} random) in {:.1}s, {}",
            corpus.len(),
            started.elapsed().as_secs_f64(),
            if ok { "no failures" } else { "FAILURES" }
        );
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
