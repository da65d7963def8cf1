//! The failure policy as code (SPEC section 9).
//!
//! `exit`: what blocks a stage's exit, defined once; the gate and the agent
//! guard's `Stop` hook both ask it.

pub mod exit;
