//! The failure policy as code (SPEC section 9).
//!
//! `exit`: what blocks a stage's exit, defined once; the gate and the agent
//! guard's `Stop` hook both ask it. `gate`: pass records the checkpoint, fail
//! quarantines, then retries (copy the attempt, open the next) or pauses (move
//! it). `rollback` and `resume`: a person's ways on. Every one is a recovery
//! `Plan` (section 5): planned first, carried out whole or not at all.

mod attempts;
pub mod exit;
mod gate;
mod resume;
mod rollback;

#[cfg(test)]
mod tests;

pub use gate::{plan_gate, Gate, Outcome};
pub use resume::plan_resume;
pub use rollback::plan_rollback;
