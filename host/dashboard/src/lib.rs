//! The fieldwork dashboard: a study's progress for supervisors, analysts and admins, as a page
//! with SVG charts drawn here (no scripts, no CDN: it works offline and at 360 px) and as JSON.
//!
//! [`gather`] reads the figures from the store, [`figures`] are what the page draws and what
//! `?format=json` answers, [`charts`] draws SVG, [`page`] lays out the page in Spanish or English.

mod bins;
mod charts;
pub mod figures;
mod gather;
mod page;

pub use bins::bins;
pub use gather::gather;
pub use page::page;
