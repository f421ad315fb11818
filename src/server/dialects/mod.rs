//! Dialects: translations at the edge between another seed's wire shapes and ours (the
//! canonical envelope and [`super::Command`]). None owns state or routes commands itself.
//!
//! The browser-tools dialect is still in `super::compat`; seed 002 (MetaDock) is here.

pub mod metadock;
