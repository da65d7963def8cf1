//! A stage's write permissions: its `permissions.write` when present, else its
//! matrix row (SPEC section 2).
