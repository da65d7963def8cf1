//! Times a bare saphyr event loop against `parse` on one file (run with --release).
//!
//! Prints wall time and, on Linux, the thread's on-CPU time, which stays honest
//! when other processes load the machine.
use std::time::Instant;

use saphyr_parser::Parser;
use tollgate_yaml::{parse, Limits};

/// Nanoseconds this thread has spent on a CPU (Linux), if known.
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Best wall and best CPU milliseconds over `runs`.
fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> (f64, f64, usize) {
    let (mut wall, mut cpu, mut out) = (f64::MAX, f64::MAX, 0);
    for _ in 0..runs {
        let (t, c) = (Instant::now(), cpu_ns());
        out = f();
        wall = wall.min(t.elapsed().as_secs_f64() * 1e3);
        if let (Some(a), Some(b)) = (c, cpu_ns()) {
            cpu = cpu.min((b - a) as f64 / 1e6);
        }
    }
    (wall, cpu, out)
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "/tmp/p5000.yaml".to_string());
    // Arguments: [file] [runs] [bare|parse].
    let runs = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(10);
    let only = std::env::args().nth(3).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if only != "parse" {
        bare(&path, runs, &text);
    }
    if only != "bare" {
        ours(runs, &text);
    }
}

fn bare(path: &str, runs: usize, text: &str) {
    let (wall, cpu, events) = best_of(runs, || {
        let mut n = 0;
        let mut parser = Parser::new_from_str(text);
        while let Some(Ok(_)) = parser.next_event() {
            n += 1;
        }
        n
    });
    println!("{path}: {} bytes, {events} events, best of {runs}", text.len());
    println!("bare saphyr event loop: {wall:7.2} ms wall, {cpu:7.2} ms cpu");
}

fn ours(runs: usize, text: &str) {
    let (wall, cpu, bad) = best_of(runs, || {
        let parsed = parse(text, &Limits::default());
        parsed.errors.len() + usize::from(parsed.root.is_none())
    });
    println!("tollgate_yaml::parse:   {wall:7.2} ms wall, {cpu:7.2} ms cpu (errors or no root: {bad})");
}
