//! Recovery actions (SPEC section 5): planned first, then carried out whole or not at all.
