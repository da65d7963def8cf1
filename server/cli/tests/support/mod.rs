//! A real LSP client for end-to-end tests: it spawns `tollgate lsp`, speaks
//! JSON-RPC over its stdio (Content-Length frames), answers the server's
//! requests the way an editor does (`workspace/configuration`,
//! `client/registerCapability`, `workspace/applyEdit` applied to the files on
//! disk like a client that saves, `window/*`), and waits for what the server
//! publishes, every wait bounded and failing with the messages seen so far.
//!
//! Projects are copies of the bundled fixtures in a temporary directory of
//! their own, optionally a git repository with one commit.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

/// The bound of every wait.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Before the fixture run's `startTime` (2026-01-29T10:00:00Z): copied files
/// get this mtime, so outside git only what a test writes counts as changed.
pub const OLD_MTIME: u64 = 1_769_679_000; // 2026-01-29T09:30:00Z

mod client;
mod diagnostics;
mod positions;
mod project;
mod reader;
mod uris;

pub use client::*;
pub use diagnostics::*;
pub use positions::*;
pub use project::*;
pub use reader::*;
pub use uris::*;
