//! One analysis of one factory root: load its files, run every check.
