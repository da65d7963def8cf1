//! Times a bare saphyr event loop against `parse` on one file (run with --release).
use std::time::Instant;

use saphyr_parser::Parser;
use tollgate_yaml::{parse, Limits};

fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    (best, out)
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "/tmp/p5000.yaml".to_string());
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (bare, events) = best_of(10, || {
        let mut n = 0;
        let mut parser = Parser::new_from_str(&text);
        while let Some(Ok(_)) = parser.next_event() {
            n += 1;
        }
        n
    });
    let (ours, errors) = best_of(10, || {
        let parsed = parse(&text, &Limits::default());
        parsed.errors.len() + usize::from(parsed.root.is_none())
    });
    println!("{path}: {} bytes, {events} events", text.len());
    println!("bare saphyr event loop: {bare:.2} ms");
    println!("tollgate_yaml::parse:   {ours:.2} ms (errors/no-root: {errors})");
}
