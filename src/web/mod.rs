//! What people see: the live feed socket (and, as it arrives, the dashboard pages).

pub mod feed;
