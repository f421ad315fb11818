//! Owns what leaves triage-tui as a file and what comes back in: HAR 1.2 (`har`), picked from the
//! store by the filter language (`select`), and one request as curl, fetch, HTTPie or raw HTTP
//! (`copy`, over `request`). Pure functions over envelopes and frames, used by REST
//! (`GET /api/har`) and the CLI (`triage-tui export --har`).

pub mod cli;
pub mod console;
pub mod copy;
#[cfg(test)]
mod copy_tests;
pub mod file;
pub mod har;
pub mod har_read;
pub mod request;
pub mod select;
