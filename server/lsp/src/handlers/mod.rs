//! One file per LSP method (or group of closely related notifications).

pub mod code_action;
pub mod configuration;
pub mod document_link;
pub mod execute_command;
pub mod lifecycle;
pub mod navigation;
pub mod pull_diagnostics;
pub mod text_sync;
pub mod watched_files;
