//! The approval page.
